import { canonicalize } from '../../shared/canonical/jcs';
import { WalletFold, balancesOf } from '../../shared/wallet/fold';
import type { FoldHistory, FoldSnapshot } from '../../shared/wallet/fold-snapshot';
import type { Sql } from '../db/database';
import { sha256Hex } from '../node-digest';

const GENESIS_TIME = '1970-01-01T00:00:00.000Z';

/**
 * Binds a snapshot's core to its account, its chain position and its history's digest
 * (docs/architecture.md §9).
 */
export const snapshotDigest = (
  accountId: string,
  seq: number,
  hash: string,
  historyDigest: string,
  state: string,
): string =>
  sha256Hex(`easel-snapshot-v2\n${accountId}\n${seq}\n${hash}\n${historyDigest}\n${state}`);

/** A stored history, if it matches its digest; else why not. */
function readHistory(text: string, digest: string): FoldHistory | string {
  if (sha256Hex(text) !== digest) return 'the history does not match its digest';
  try {
    return JSON.parse(text) as FoldHistory;
  } catch (error) {
    return `the history cannot be read: ${String(error)}`;
  }
}

/** Which stored snapshot a fold was restored from: what its history is looked up by. */
export interface SnapshotOrigin {
  seq: number;
  historyDigest: string;
}

export type SnapshotLoad =
  | { kind: 'none' }
  | { kind: 'loaded'; fold: WalletFold; hash: string; origin: SnapshotOrigin }
  | { kind: 'refused'; seq: number; reason: string };

type HistoryLoad =
  | { kind: 'loaded'; seq: number; history: FoldHistory }
  /** The account's snapshot is another one now (a later write replaced it). */
  | { kind: 'gone' }
  | { kind: 'refused'; seq: number; reason: string };

/**
 * Account snapshots (table `ledger_snapshots`): the core (`state`) and the history (`history`),
 * docs/architecture.md §9. Every function runs in the caller's transaction.
 */
export const snapshotStore = {
  /**
   * The account's snapshot, if it matches its chain: the entry at its seq has its hash, its
   * digest matches its core, and the restored fold's balances are the ones stored with that
   * entry. Anything else is refused (the caller folds the whole chain instead). Without
   * `withHistory` the fold is restored from the core alone, and the history is not even read.
   */
  async load(
    tx: Sql,
    accountId: string,
    headSeq: number,
    withHistory: boolean,
  ): Promise<SnapshotLoad> {
    const { rows } = await tx.query<{
      seq: number;
      hash: string;
      digest: string;
      state: string;
      history_digest: string;
      history: string | null;
      entry_hash: string | null;
      balances_after: string | null;
    }>(
      `select s.seq, s.hash, s.digest, s.state, s.history_digest,
              ${withHistory ? 's.history' : 'null as history'},
              e.hash as entry_hash, e.balances_after
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
    if (snapshotDigest(accountId, row.seq, row.hash, row.history_digest, row.state) !== row.digest)
      return refuse('the state does not match its digest');
    const history = row.history === null ? undefined : readHistory(row.history, row.history_digest);
    if (typeof history === 'string') return refuse(history);
    let fold: WalletFold;
    try {
      const core = JSON.parse(row.state) as FoldSnapshot;
      if (core.v !== 2 || core.seq !== row.seq || core.accountId !== accountId)
        return refuse('the state names another account, seq or version');
      fold = WalletFold.fromSnapshot(core, history);
    } catch (error) {
      return refuse(`the state cannot be read: ${String(error)}`);
    }
    const balances = canonicalize(balancesOf(fold.view(fold.lastAt || GENESIS_TIME)));
    const stored =
      row.balances_after === null ? null : canonicalize(JSON.parse(row.balances_after));
    if (balances !== stored)
      return refuse(`balances ${balances} differ from the entry's ${stored}`);
    return {
      kind: 'loaded',
      fold,
      hash: row.hash,
      origin: { seq: row.seq, historyDigest: row.history_digest },
    };
  },

  /** The history of the snapshot `origin`, if it is still the account's snapshot. */
  async loadHistory(tx: Sql, accountId: string, origin: SnapshotOrigin): Promise<HistoryLoad> {
    const { rows } = await tx.query<{ history: string }>(
      'select history from ledger_snapshots where account_id = $1 and seq = $2 and history_digest = $3',
      [accountId, origin.seq, origin.historyDigest],
    );
    const row = rows[0];
    if (!row) return { kind: 'gone' };
    const { seq } = origin;
    const history = readHistory(row.history, origin.historyDigest);
    return typeof history === 'string'
      ? { kind: 'refused', seq, reason: history }
      : { kind: 'loaded', seq, history };
  },

  /** Stores `fold` (a whole one) as the account's snapshot at its seq, whose entry has `hash`. */
  async save(
    tx: Sql,
    accountId: string,
    fold: WalletFold,
    hash: string,
    at: string,
  ): Promise<SnapshotOrigin> {
    const { core, history } = fold.toSnapshot();
    const state = JSON.stringify(core);
    const historyText = JSON.stringify(history);
    const historyDigest = sha256Hex(historyText);
    await tx.query(
      `insert into ledger_snapshots
         (account_id, seq, hash, digest, state, history_digest, history, written_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (account_id) do update
         set seq = excluded.seq, hash = excluded.hash, digest = excluded.digest,
             state = excluded.state, history_digest = excluded.history_digest,
             history = excluded.history, written_at = excluded.written_at
       where ledger_snapshots.seq < excluded.seq`,
      [
        accountId,
        fold.lastSeq,
        hash,
        snapshotDigest(accountId, fold.lastSeq, hash, historyDigest, state),
        state,
        historyDigest,
        historyText,
        at,
      ],
    );
    return { seq: fold.lastSeq, historyDigest };
  },
};
