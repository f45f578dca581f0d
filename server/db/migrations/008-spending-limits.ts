/**
 * A user's daily and monthly spending limits (docs/architecture.md §2, spending limits); read
 * inside each ledger write that takes credits, under the account lock.
 */
export const spendingLimitsMigration = {
  version: 8,
  name: 'spending limits',
  sql: `
    create table spending_limits (
      account_id text primary key references accounts(id),
      daily integer,
      monthly integer,
      updated_at text not null
    )
  `,
};
