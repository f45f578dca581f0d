/**
 * A ledger snapshot in two parts (docs/architecture.md §9; server/ledger/snapshot-store.ts): the
 * core that decides the next write in `state`, and the history (resolved holds, what payments
 * paid) in `history`, read only when a write needs it. The digest of the history is bound into
 * the core's digest. Snapshots of the one-part format are dropped: each account is folded from
 * its chain once more on its next use, which writes a new snapshot.
 */
export const snapshotHistoryMigration = {
  version: 10,
  name: 'snapshot history',
  sql: `
    delete from ledger_snapshots;
    alter table ledger_snapshots add column history_digest text not null;
    alter table ledger_snapshots add column history text not null
  `,
};
