import type { PaymentProviderName } from '../../shared/api/purchases';
import type { Sql } from '../db/database';

/** An active subscription with what self-service keeps about its period (migration 012). */
export interface PlanSubscriptionRow {
  provider: PaymentProviderName;
  subscription_ref: string;
  account_id: string;
  checkout_id: string;
  plan_id: string;
  status: 'active' | 'canceled';
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  pending_plan_id: string | null;
}

const COLUMNS =
  'provider, subscription_ref, account_id, checkout_id, plan_id, status, current_period_end, cancel_at_period_end, pending_plan_id';

/** Row access for plan self-service (docs/architecture.md §7); runs in the caller's transaction. */
export const planStore = {
  async active(sql: Sql, accountId: string): Promise<PlanSubscriptionRow | null> {
    const { rows } = await sql.query<PlanSubscriptionRow>(
      `select ${COLUMNS} from purchase_subscriptions where account_id = $1 and status = 'active' order by created_at desc, subscription_ref limit 1`,
      [accountId],
    );
    return rows[0] ?? null;
  },

  async byRef(
    sql: Sql,
    provider: PaymentProviderName,
    ref: string,
  ): Promise<PlanSubscriptionRow | null> {
    const { rows } = await sql.query<PlanSubscriptionRow>(
      `select ${COLUMNS} from purchase_subscriptions where provider = $1 and subscription_ref = $2`,
      [provider, ref],
    );
    return rows[0] ?? null;
  },

  async update(
    sql: Sql,
    provider: PaymentProviderName,
    ref: string,
    set: {
      plan_id?: string;
      pending_plan_id?: string | null;
      cancel_at_period_end?: boolean;
      current_period_end?: string | null;
    },
    now: string,
  ): Promise<void> {
    const fields = Object.entries(set).filter(([, v]) => v !== undefined);
    const assignments = fields.map(([k], i) => `${k} = $${i + 4}`);
    await sql.query(
      `update purchase_subscriptions set ${[...assignments, 'updated_at = $3'].join(', ')} where provider = $1 and subscription_ref = $2`,
      [provider, ref, now, ...fields.map(([, v]) => v)],
    );
  },

  /** When the latest paid month of a subscription was credited (upgrades are not months). */
  async lastMonthPaid(sql: Sql, checkoutId: string): Promise<string | null> {
    const { rows } = await sql.query<{ last: string | null }>(
      `select max(credited_at) as last from purchase_fulfilments where checkout_id = $1 and purchase_id not like '%:upgrade'`,
      [checkoutId],
    );
    return rows[0]?.last ?? null;
  },
};

/** A month after `iso` (the same day of the next month, as Stripe bills). */
export function plusOneMonth(iso: string): string {
  const at = new Date(iso);
  at.setUTCMonth(at.getUTCMonth() + 1);
  return at.toISOString();
}
