/**
 * Promo codes (docs/architecture.md §2, promo codes): made by operators, redeemed once per
 * account, never more often than `max_redemptions` in all (`redeemed` counts under a row lock).
 */
export const promoCodesMigration = {
  version: 9,
  name: 'promo codes',
  sql: `
    create table promo_codes (
      code text primary key,
      credits integer not null,
      kind text not null,
      redeem_by text,
      max_redemptions integer not null,
      redeemed integer not null default 0,
      valid_days integer,
      created_at text not null,
      created_by text not null
    );
    create table promo_redemptions (
      code text not null references promo_codes(code),
      account_id text not null references accounts(id),
      seq integer not null,
      at text not null,
      primary key (code, account_id)
    )
  `,
};
