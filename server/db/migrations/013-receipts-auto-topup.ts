/**
 * Receipts, saved payment methods and auto top-up (docs/architecture.md §7, receipts and auto
 * top-up). Owned by server/purchases.
 */
export const receiptsAutoTopupMigration = {
  version: 13,
  name: 'receipts, customers, auto top-up',
  sql: `
    -- The provider's customer for an account, and the payment method saved for off-session use.
    create table purchase_customers (
      account_id text not null references accounts(id),
      provider text not null,
      customer_ref text not null,
      payment_method_ref text,
      payment_method_label text,
      updated_at text not null,
      primary key (account_id, provider)
    );

    -- One receipt per credited purchase: the provider's link (Stripe's invoice or charge
    -- receipt), or the key of the sandbox's own receipt page.
    create table purchase_receipts (
      purchase_id text primary key,
      account_id text not null references accounts(id),
      provider text not null,
      url text not null,
      page_key text unique,
      created_at text not null
    );
    create index purchase_receipts_account on purchase_receipts(account_id);

    -- A user's auto top-up: below the threshold, buy the pack, at most the cap each UTC month.
    create table auto_topup_settings (
      account_id text primary key references accounts(id),
      enabled boolean not null,
      threshold integer not null,
      item_id text not null,
      monthly_cap_cents integer not null,
      updated_at text not null
    );

    -- Each crossing of the threshold that was acted on: a top-up, or why none was made.
    create table auto_topups (
      id text primary key,
      account_id text not null references accounts(id),
      checkout_id text,
      item_id text not null,
      amount_cents integer not null,
      currency text not null,
      status text not null,
      message text,
      crossed_seq integer not null,
      month text not null,
      created_at text not null,
      updated_at text not null
    );
    create index auto_topups_account on auto_topups(account_id, month);
  `,
};
