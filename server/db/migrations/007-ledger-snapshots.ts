/**
 * Each account's folded wallet at one entry of its chain, so a cold account loads one snapshot
 * and a short tail instead of its whole history (docs/architecture.md §9;
 * server/ledger/snapshot-store.ts). One row per account, replaced as the chain grows.
 */
export const ledgerSnapshotsMigration = {
  version: 7,
  name: 'ledger snapshots',
  sql: `
    create table ledger_snapshots (
      account_id text primary key references accounts(id),
      seq integer not null,
      hash text not null,
      digest text not null,
      state text not null,
      written_at text not null
    )
  `,
};
