import type { EntryBody } from '../../shared/ledger/entry';
import { GENESIS_HASH } from '../../shared/ledger/primitives';
import type { WalletFold } from '../../shared/wallet/fold';
import type { Sql } from '../db/database';
import { nodeChainDigest } from '../node-digest';

/** Entries read per query while folding a stored chain. */
const CATCH_UP_BATCH = 5000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Prunes `fold` as of `now`: payments past `pruneAfterMs`, resolved holds a day past expiry. */
export function pruneAt(fold: WalletFold, now: string, pruneAfterMs: number): void {
  const t = Date.parse(now);
  fold.prune(new Date(t - pruneAfterMs).toISOString(), new Date(t - DAY_MS).toISOString());
}

export interface AccountHead {
  seq: number;
  hash: string;
  lastDailyDate: string | null;
  /** The UTC month (YYYY-MM) of the last free monthly grant check (docs/architecture.md §2). */
  lastMonthlyPeriod: string | null;
  plan: string;
}

/** Row-level access to the ledger tables. Every function runs inside the caller's transaction. */
export const ledgerStore = {
  /**
   * Locks the account row until the transaction ends (docs/architecture.md §2: writes serialise
   * per account) and, in the same statement, reads the head and any earlier use of `operationId`.
   */
  async lockAccount(
    tx: Sql,
    accountId: string,
    operationId: string | null,
  ): Promise<{
    head: AccountHead;
    previous: { request_hash: string; status: number; result: string } | null;
  } | null> {
    const { rows } = await tx.query<{
      head_seq: number;
      head_hash: string;
      last_daily_date: string | null;
      last_monthly_period: string | null;
      plan: string;
      request_hash: string | null;
      status: number | null;
      result: string | null;
    }>(
      `select a.head_seq, a.head_hash, a.last_daily_date, a.last_monthly_period, a.plan, o.request_hash, o.status, o.result
         from accounts a
         left join operations o on o.account_id = a.id and o.operation_id = $2
        where a.id = $1
          for update of a`,
      [accountId, operationId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      head: {
        seq: row.head_seq,
        hash: row.head_hash,
        lastDailyDate: row.last_daily_date,
        lastMonthlyPeriod: row.last_monthly_period,
        plan: row.plan,
      },
      previous:
        row.request_hash !== null && row.status !== null && row.result !== null
          ? { request_hash: row.request_hash, status: row.status, result: row.result }
          : null,
    };
  },

  /**
   * Folds stored entries after `fold.lastSeq` into `fold`, up to the head. The rows are the
   * server's own: each is checked by its hash chain (from `anchorHash`, the hash of the entry at
   * `fold.lastSeq` when known, up to `head.hash`), not re-parsed with its schema
   * (docs/architecture.md §9). Between batches it prunes what can no longer matter and yields,
   * so one long chain never stalls other requests.
   */
  async catchUp(
    tx: Sql,
    accountId: string,
    fold: WalletFold,
    head: { seq: number; hash: string },
    options: { anchorHash?: string; pruneAfterMs?: number } = {},
  ): Promise<void> {
    let after = fold.lastSeq;
    if (after >= head.seq) return;
    let prev: string | null = after === 0 ? GENESIS_HASH : null;
    const broken = (seq: number, why: string) =>
      new Error(`ledger of ${accountId} is broken at seq ${seq}: ${why}`);
    while (after < head.seq) {
      // Bounded on both ends (seqs are dense) so stale statistics cannot turn each batch into a
      // sort of every remaining row. The first batch also reads the entry the fold ends at.
      const { rows } = await tx.query<{ seq: number; hash: string; body: string }>(
        'select seq, hash, body from entries where account_id = $1 and seq >= $2 and seq <= $3 order by seq',
        [accountId, prev === null ? after : after + 1, Math.min(head.seq, after + CATCH_UP_BATCH)],
      );
      for (const row of rows) {
        if (prev === null) {
          if (row.seq !== after) throw broken(after, 'the entry the fold ends at is missing');
          if (options.anchorHash !== undefined && row.hash !== options.anchorHash)
            throw broken(after, 'its hash is not the one the fold was made from');
          prev = row.hash;
          continue;
        }
        if (nodeChainDigest(prev, row.body) !== row.hash)
          throw broken(row.seq, 'its hash does not chain from the previous entry');
        const data = JSON.parse(row.body) as EntryBody;
        if (data.seq !== row.seq) throw broken(row.seq, `its body says seq ${data.seq}`);
        fold.apply(data);
        prev = row.hash;
      }
      if (fold.lastSeq === after)
        throw new Error(`ledger of ${accountId} ends at ${after}, head says ${head.seq}`);
      after = fold.lastSeq;
      if (options.pruneAfterMs !== undefined && fold.lastAt)
        pruneAt(fold, fold.lastAt, options.pruneAfterMs);
      if (after < head.seq) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (prev !== head.hash) throw broken(head.seq, 'the chain does not end at the head hash');
  },

  async dueAccounts(db: Sql, now: string, limit = 100): Promise<string[]> {
    const { rows } = await db.query<{ account_id: string }>(
      'select distinct account_id from timers where due_at <= $1 limit $2',
      [now, limit],
    );
    return rows.map((r) => r.account_id);
  },
};
