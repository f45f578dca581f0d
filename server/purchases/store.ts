import { randomUUID } from 'node:crypto';
import {
  CatalogItem,
  type CheckoutStatus,
  type PaymentProviderName,
} from '../../shared/api/purchases';
import type { Sql } from '../db/database';

/** A refund or dispute of one provider payment. */
export interface ProviderReversal {
  provider: PaymentProviderName;
  /** The refunded charge, or the dispute: one reversal per ref. */
  ref: string;
  paymentRef: string;
  reason: 'refunded' | 'disputed';
  amountCents: number | null;
  currency: string | null;
}

export interface CheckoutRow {
  id: string;
  account_id: string;
  operation_id: string | null;
  provider: PaymentProviderName;
  provider_session_id: string | null;
  item_id: string;
  item_type: 'pack' | 'plan';
  /** JSON of the catalog item as shown at checkout: what the payment buys. */
  item: string;
  amount_cents: number;
  currency: string;
  status: CheckoutStatus;
  status_reason: string | null;
  url: string | null;
  payment_ref: string | null;
  subscription_ref: string | null;
  purchase_id: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

/** The item a checkout sold, as it was when the checkout was made. */
export function itemOf(row: CheckoutRow): CatalogItem {
  return CatalogItem.parse(JSON.parse(row.item));
}

export interface FulfilmentRow {
  purchase_id: string;
  provider: PaymentProviderName;
  account_id: string;
  checkout_id: string;
  item_id: string;
  payment_ref: string;
  amount_cents: number;
  currency: string;
  seq: number;
  credited_at: string;
}

export interface ReversalRow {
  provider: PaymentProviderName;
  ref: string;
  payment_ref: string;
  reason: 'refunded' | 'disputed';
  /** What the provider says was refunded or disputed so far (null: not said, the whole). */
  amount_cents: number | null;
  purchase_id: string | null;
  applied_at: string | null;
}

export interface SubscriptionRow {
  provider: PaymentProviderName;
  subscription_ref: string;
  account_id: string;
  checkout_id: string;
  plan_id: string;
  status: 'active' | 'canceled';
}

/** A stored subscription with what plan self-service keeps about its period (migration 012). */
export interface StoredSubscription extends SubscriptionRow {
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  pending_plan_id: string | null;
}

const SUBSCRIPTION_COLUMNS =
  'provider, subscription_ref, account_id, checkout_id, plan_id, status, current_period_end, cancel_at_period_end, pending_plan_id';

const CHECKOUT_COLUMNS =
  'id, account_id, operation_id, provider, provider_session_id, item_id, item_type, item, amount_cents, currency, status, status_reason, url, payment_ref, subscription_ref, purchase_id, created_at, updated_at, expires_at';

/** Row access for purchases. Each function runs on the handle or transaction it is given. */
export const purchaseStore = {
  async insertCheckout(sql: Sql, row: CheckoutRow): Promise<void> {
    await sql.query(
      `insert into purchase_checkouts (${CHECKOUT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
      [
        row.id,
        row.account_id,
        row.operation_id,
        row.provider,
        row.provider_session_id,
        row.item_id,
        row.item_type,
        row.item,
        row.amount_cents,
        row.currency,
        row.status,
        row.status_reason,
        row.url,
        row.payment_ref,
        row.subscription_ref,
        row.purchase_id,
        row.created_at,
        row.updated_at,
        row.expires_at,
      ],
    );
  },

  async checkout(sql: Sql, id: string): Promise<CheckoutRow | null> {
    const { rows } = await sql.query<CheckoutRow>(
      `select ${CHECKOUT_COLUMNS} from purchase_checkouts where id = $1`,
      [id],
    );
    return rows[0] ?? null;
  },

  async checkoutByOperation(
    sql: Sql,
    accountId: string,
    operationId: string,
  ): Promise<CheckoutRow | null> {
    const { rows } = await sql.query<CheckoutRow>(
      `select ${CHECKOUT_COLUMNS} from purchase_checkouts where account_id = $1 and operation_id = $2`,
      [accountId, operationId],
    );
    return rows[0] ?? null;
  },

  async checkoutBySession(
    sql: Sql,
    provider: PaymentProviderName,
    sessionId: string,
  ): Promise<CheckoutRow | null> {
    const { rows } = await sql.query<CheckoutRow>(
      `select ${CHECKOUT_COLUMNS} from purchase_checkouts where provider = $1 and provider_session_id = $2`,
      [provider, sessionId],
    );
    return rows[0] ?? null;
  },

  async setProviderSession(
    sql: Sql,
    id: string,
    sessionId: string,
    url: string,
    expiresAt: string,
    now: string,
  ): Promise<void> {
    await sql.query(
      `update purchase_checkouts set provider_session_id = $2, url = $3, expires_at = $4, status = 'open', updated_at = $5 where id = $1 and status = 'creating'`,
      [id, sessionId, url, expiresAt, now],
    );
  },

  /** Moves a checkout on only from the states listed: a late or repeated event never undoes one. */
  async setStatus(
    sql: Sql,
    id: string,
    status: CheckoutStatus,
    from: readonly CheckoutStatus[],
    now: string,
    reason: string | null = null,
  ): Promise<boolean> {
    const { rows } = await sql.query<{ id: string }>(
      `update purchase_checkouts set status = $2, status_reason = $3, updated_at = $4 where id = $1 and status = any($5::text[]) returning id`,
      [id, status, reason, now, [...from]],
    );
    return rows.length > 0;
  },

  /** A credited (or subscribed) checkout is complete, whatever an earlier event said. */
  async markComplete(
    sql: Sql,
    id: string,
    fields: { paymentRef: string; subscriptionRef: string | null; now: string },
  ): Promise<void> {
    await sql.query(
      `update purchase_checkouts set status = 'complete', status_reason = null, payment_ref = coalesce(payment_ref, $2), subscription_ref = coalesce(subscription_ref, $3), updated_at = $4 where id = $1`,
      [id, fields.paymentRef, fields.subscriptionRef, fields.now],
    );
  },

  async setCheckoutPurchase(sql: Sql, id: string, purchaseId: string): Promise<void> {
    await sql.query(
      'update purchase_checkouts set purchase_id = coalesce(purchase_id, $2) where id = $1',
      [id, purchaseId],
    );
  },

  async fulfilment(sql: Sql, purchaseId: string): Promise<FulfilmentRow | null> {
    const { rows } = await sql.query<FulfilmentRow>(
      'select * from purchase_fulfilments where purchase_id = $1',
      [purchaseId],
    );
    return rows[0] ?? null;
  },

  async fulfilmentsByPayment(
    sql: Sql,
    provider: PaymentProviderName,
    paymentRef: string,
  ): Promise<FulfilmentRow[]> {
    const { rows } = await sql.query<FulfilmentRow>(
      'select * from purchase_fulfilments where provider = $1 and payment_ref = $2 order by credited_at',
      [provider, paymentRef],
    );
    return rows;
  },

  async insertFulfilment(sql: Sql, row: FulfilmentRow): Promise<void> {
    await sql.query(
      'insert into purchase_fulfilments (purchase_id, provider, account_id, checkout_id, item_id, payment_ref, amount_cents, currency, seq, credited_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [
        row.purchase_id,
        row.provider,
        row.account_id,
        row.checkout_id,
        row.item_id,
        row.payment_ref,
        row.amount_cents,
        row.currency,
        row.seq,
        row.credited_at,
      ],
    );
  },

  /**
   * Locks the row of one provider payment until the transaction ends. Fulfilment and refund both
   * take it first, so whichever commits second sees what the first wrote.
   */
  async lockPayment(sql: Sql, provider: PaymentProviderName, paymentRef: string): Promise<void> {
    await sql.query(
      'insert into purchase_payment_locks (provider, payment_ref) values ($1, $2) on conflict (provider, payment_ref) do update set payment_ref = excluded.payment_ref',
      [provider, paymentRef],
    );
  },

  async rememberReversal(sql: Sql, r: ProviderReversal & { now: string }): Promise<void> {
    await sql.query(
      'insert into purchase_reversals (provider, ref, payment_ref, reason, amount_cents, currency, received_at) values ($1, $2, $3, $4, $5, $6, $7) on conflict (provider, ref) do nothing',
      [r.provider, r.ref, r.paymentRef, r.reason, r.amountCents, r.currency, r.now],
    );
  },

  async pendingReversals(
    sql: Sql,
    provider: PaymentProviderName,
    paymentRef: string,
  ): Promise<ReversalRow[]> {
    const { rows } = await sql.query<ReversalRow>(
      'select provider, ref, payment_ref, reason, amount_cents, purchase_id, applied_at from purchase_reversals where provider = $1 and payment_ref = $2 and applied_at is null order by received_at, ref',
      [provider, paymentRef],
    );
    return rows;
  },

  async markReversalApplied(
    sql: Sql,
    provider: PaymentProviderName,
    ref: string,
    purchaseId: string,
    now: string,
  ): Promise<void> {
    await sql.query(
      'update purchase_reversals set purchase_id = $3, applied_at = $4 where provider = $1 and ref = $2 and applied_at is null',
      [provider, ref, purchaseId, now],
    );
  },

  async isPurchaseReversed(sql: Sql, purchaseId: string): Promise<boolean> {
    const { rows } = await sql.query<{ n: number }>(
      'select count(*)::int as n from purchase_reversals where purchase_id = $1 and applied_at is not null',
      [purchaseId],
    );
    return (rows[0]?.n ?? 0) > 0;
  },

  async subscription(
    sql: Sql,
    provider: PaymentProviderName,
    subscriptionRef: string,
  ): Promise<StoredSubscription | null> {
    const { rows } = await sql.query<StoredSubscription>(
      `select ${SUBSCRIPTION_COLUMNS} from purchase_subscriptions where provider = $1 and subscription_ref = $2`,
      [provider, subscriptionRef],
    );
    return rows[0] ?? null;
  },

  /** Records a subscription; an existing one keeps its status (a cancellation is never undone). */
  async upsertSubscription(
    sql: Sql,
    s: Omit<SubscriptionRow, 'status'> & { status: SubscriptionRow['status']; now: string },
  ): Promise<SubscriptionRow['status']> {
    const { rows } = await sql.query<{ status: SubscriptionRow['status'] }>(
      `insert into purchase_subscriptions (provider, subscription_ref, account_id, checkout_id, plan_id, status, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $7)
       on conflict (provider, subscription_ref) do update set
         status = case when purchase_subscriptions.status = 'canceled' then 'canceled' else excluded.status end,
         updated_at = excluded.updated_at
       returning status`,
      [s.provider, s.subscription_ref, s.account_id, s.checkout_id, s.plan_id, s.status, s.now],
    );
    return rows[0]?.status ?? s.status;
  },

  /** Ends a subscription, recording it if this is the first we hear of it. */
  async cancelSubscription(
    sql: Sql,
    s: Omit<SubscriptionRow, 'status'> & { now: string },
  ): Promise<void> {
    await sql.query(
      `insert into purchase_subscriptions (provider, subscription_ref, account_id, checkout_id, plan_id, status, created_at, updated_at)
       values ($1, $2, $3, $4, $5, 'canceled', $6, $6)
       on conflict (provider, subscription_ref) do update set status = 'canceled', updated_at = excluded.updated_at`,
      [s.provider, s.subscription_ref, s.account_id, s.checkout_id, s.plan_id, s.now],
    );
  },

  /** The account's active subscriptions, newest first. */
  async activeSubscriptions(sql: Sql, accountId: string): Promise<StoredSubscription[]> {
    const { rows } = await sql.query<StoredSubscription>(
      `select ${SUBSCRIPTION_COLUMNS} from purchase_subscriptions where account_id = $1 and status = 'active' order by created_at desc, subscription_ref`,
      [accountId],
    );
    return rows;
  },

  /**
   * The plan whose free grants (daily, a free plan's monthly) the ledger gives the account. A
   * team wallet's stays `team` (no free grants) whatever plan the team buys or ends: it gets
   * only the months it pays for (docs/architecture.md §14, team plans).
   */
  async setAccountPlan(sql: Sql, accountId: string, plan: string): Promise<void> {
    await sql.query(`update accounts set plan = $2 where id = $1 and plan <> 'team'`, [
      accountId,
      plan,
    ]);
  },

  async eventSeen(sql: Sql, provider: PaymentProviderName, eventId: string): Promise<boolean> {
    const { rows } = await sql.query<{ outcome: string }>(
      'select outcome from purchase_events where provider = $1 and event_id = $2',
      [provider, eventId],
    );
    return rows.length > 0;
  },

  async recordEvent(
    sql: Sql,
    e: {
      provider: PaymentProviderName;
      eventId: string;
      type: string;
      outcome: string;
      now: string;
    },
  ): Promise<void> {
    await sql.query(
      'insert into purchase_events (provider, event_id, type, outcome, received_at) values ($1, $2, $3, $4, $5) on conflict (provider, event_id) do nothing',
      [e.provider, e.eventId, e.type, e.outcome, e.now],
    );
  },

  async recordIncident(
    sql: Sql,
    i: {
      provider: PaymentProviderName;
      ref: string;
      accountId: string | null;
      code: string;
      message: string;
      now: string;
    },
  ): Promise<void> {
    await sql.query(
      'insert into purchase_incidents (id, provider, ref, account_id, code, message, at) values ($1, $2, $3, $4, $5, $6, $7)',
      [`inc_${randomUUID()}`, i.provider, i.ref, i.accountId, i.code, i.message, i.now],
    );
  },
};
