import type { PaymentProviderName } from '../../shared/api/purchases';
import type { Sql } from '../db/database';
import { type StoredSubscription, purchaseStore } from './store';

/** Row access for plan self-service (docs/architecture.md §7); runs in the caller's transaction. */
export const planStore = {
  /** The account's newest active subscription. */
  async active(sql: Sql, accountId: string): Promise<StoredSubscription | null> {
    return (await purchaseStore.activeSubscriptions(sql, accountId))[0] ?? null;
  },

  byRef: purchaseStore.subscription,

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
