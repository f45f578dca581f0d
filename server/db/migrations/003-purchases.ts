/** Purchases (docs/architecture.md §7): checkout sessions, provider events, fulfilments. Owned by server/purchases. */
export const purchasesMigration = {
  version: 3,
  name: 'purchases',
  sql: `
    -- One checkout a user started: what they were shown (item snapshot, amount) and how it ended.
    create table purchase_checkouts (
      id text primary key,
      account_id text not null references accounts(id),
      operation_id text,
      provider text not null,
      provider_session_id text,
      item_id text not null,
      item_type text not null,
      item text not null,
      amount_cents integer not null,
      currency text not null,
      status text not null,
      status_reason text,
      url text,
      payment_ref text,
      subscription_ref text,
      purchase_id text,
      created_at text not null,
      updated_at text not null,
      expires_at text not null
    );
    create unique index purchase_checkouts_operation on purchase_checkouts(account_id, operation_id);
    create unique index purchase_checkouts_session on purchase_checkouts(provider, provider_session_id);
    create index purchase_checkouts_created on purchase_checkouts(created_at);

    -- Every payment credited to the ledger (a pack's session, a plan's invoice): one row each.
    create table purchase_fulfilments (
      purchase_id text primary key,
      provider text not null,
      account_id text not null references accounts(id),
      checkout_id text not null references purchase_checkouts(id),
      item_id text not null,
      payment_ref text not null,
      amount_cents integer not null,
      currency text not null,
      seq integer not null,
      credited_at text not null
    );
    create index purchase_fulfilments_payment on purchase_fulfilments(provider, payment_ref);

    -- A row per provider payment that refunds and fulfilments both lock, so that a refund racing
    -- the completion it refunds is always seen by one of the two.
    create table purchase_payment_locks (
      provider text not null,
      payment_ref text not null,
      primary key (provider, payment_ref)
    );

    -- Refunds and disputes, remembered even when they arrive before the payment is credited.
    create table purchase_reversals (
      provider text not null,
      ref text not null,
      payment_ref text not null,
      reason text not null,
      amount_cents integer,
      currency text,
      received_at text not null,
      purchase_id text,
      applied_at text,
      primary key (provider, ref)
    );
    create index purchase_reversals_payment on purchase_reversals(provider, payment_ref);

    create table purchase_subscriptions (
      provider text not null,
      subscription_ref text not null,
      account_id text not null references accounts(id),
      checkout_id text not null references purchase_checkouts(id),
      plan_id text not null,
      status text not null,
      created_at text not null,
      updated_at text not null,
      primary key (provider, subscription_ref)
    );
    create index purchase_subscriptions_account on purchase_subscriptions(account_id);

    -- Verified provider events already handled (deduplication by event id).
    create table purchase_events (
      provider text not null,
      event_id text not null,
      type text not null,
      outcome text not null,
      received_at text not null,
      primary key (provider, event_id)
    );

    -- Payments refused or needing an operator (amount mismatch, partial refund, unknown session).
    create table purchase_incidents (
      id text primary key,
      provider text not null,
      ref text not null,
      account_id text,
      code text not null,
      message text not null,
      at text not null
    );
    create index purchase_incidents_at on purchase_incidents(at);

    -- The sandbox provider's own record of payments: what reconcile compares the ledger with.
    create table sandbox_payments (
      payment_id text primary key,
      checkout_id text not null,
      account_id text not null,
      item_id text not null,
      purchase_id text not null,
      amount_cents integer not null,
      currency text not null,
      paid_at text not null,
      refunded_at text,
      disputed_at text
    );
    create index sandbox_payments_paid on sandbox_payments(paid_at);

    -- Reconcile reads purchase and reversal entries by time (partial, so spends pay nothing for it).
    create index entries_purchases_at on entries(at) where type in ('purchase', 'reversal');
  `,
};
