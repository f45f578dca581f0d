import { canonicalize } from '../../shared/canonical/jcs';
import { type FoldSnapshot, WalletFold, balancesOf } from '../../shared/wallet/fold';
import type { Sql } from '../db/database';
import { sha256Hex } from '../node-digest';

const GENESIS_TIME = '1970-01-01T00:00:00.000Z';

/** Binds a snapshot's state to its account and chain position (docs/architecture.md §9). */
export const snapshotDigest = (
  accountId: string,
  seq: number,
  hash: string,
  state: string,
): string => sha256Hex(`easel-snapshot-v1\n${accountId}\n${seq}\n${hash}\n${state}`);

export type SnapshotLoad =
  | { kind: 'none' }
  | { kind: 'loaded'; fold: WalletFold; hash: string }
  | { kind: 'refused'; seq: number; reason: string };

/** Account snapshots (table `ledger_snapshots`); every function runs in the caller's transaction. */
export const snapshotStore = {
  /**
   * The account's snapshot, if it matches its chain: the entry at its seq has its hash, its
   * digest matches its state, and the restored fold's balances are the ones stored with that
   * entry. Anything else is refused (the caller folds the whole chain instead).
   */
  async load(tx: Sql, accountId: string, headSeq: number): Promise<SnapshotLoad> {
    const { rows } = await tx.query<{
      seq: number;
      hash: string;
      digest: string;
      state: string;
      entry_hash: string | null;
      balances_after: string | null;
    }>(
      `select s.seq, s.hash, s.digest, s.state, e.hash as entry_hash, e.balances_after
         from ledger_snapshots s
         left join entries e on e.account_id = s.account_id and e.seq = s.seq
        where s.account_id = $1`,
      [accountId],
    );
    const row = rows[0];
    if (!row) return { kind: 'none' };
    const refuse = (reason: string): SnapshotLoad => ({ kind: 'refused', seq: row.seq, reason });
    if (row.seq > headSeq) return refuse(`snapshot at ${row.seq} is past the head ${headSeq}`);
    if (row.entry_hash !== row.hash)
      return refuse(`entry ${row.seq} does not have the snapshot's hash`);
    if (snapshotDigest(accountId, row.seq, row.hash, row.state) !== row.digest)
      return refuse('the state does not match its digest');
    let fold: WalletFold;
    try {
      const snapshot = JSON.parse(row.state) as FoldSnapshot;
      if (snapshot.v !== 1 || snapshot.seq !== row.seq || snapshot.accountId !== accountId)
        return refuse('the state names another account, seq or version');
      fold = WalletFold.fromSnapshot(snapshot);
    } catch (error) {
      return refuse(`the state cannot be read: ${String(error)}`);
    }
    const balances = canonicalize(balancesOf(fold.view(fold.lastAt || GENESIS_TIME)));
    const stored =
      row.balances_after === null ? null : canonicalize(JSON.parse(row.balances_after));
    if (balances !== stored)
      return refuse(`balances ${balances} differ from the entry's ${stored}`);
    return { kind: 'loaded', fold, hash: row.hash };
  },

  /** Stores `fold` as the account's snapshot at its seq, whose entry has `hash`. */
  async save(
    tx: Sql,
    accountId: string,
    fold: WalletFold,
    hash: string,
    at: string,
  ): Promise<void> {
    const state = JSON.stringify(fold.toSnapshot());
    await tx.query(
      `insert into ledger_snapshots (account_id, seq, hash, digest, state, written_at)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (account_id) do update
         set seq = excluded.seq, hash = excluded.hash, digest = excluded.digest,
             state = excluded.state, written_at = excluded.written_at
       where ledger_snapshots.seq < excluded.seq`,
      [
        accountId,
        fold.lastSeq,
        hash,
        snapshotDigest(accountId, fold.lastSeq, hash, state),
        state,
        at,
      ],
    );
  },
};
