import { canonicalize } from '../../shared/canonical/jcs';
import type { Logger } from '../../shared/log/logger';
import { FoldHistoryNeeded, type WalletFold } from '../../shared/wallet/fold';
import { type Database, type Sql, isConnectionLoss } from '../db/database';
import { isServerOperationId } from '../../shared/api/common';
import { conflict, notFound } from '../http/errors';
import { sha256Hex } from '../node-digest';
import { AccountLocks } from './account-lock';
import { type ComposeEnv, type Composed, composeWrite } from './compose';
import { FoldLoader } from './fold-loader';
import { type AppendOutcome, GroupWriter, appendItems } from './group-writer';
import { HeadCache, type KnownHead } from './head-cache';
import { ledgerStore } from './ledger-store';
import type { WriteContext, WriteResult } from './write-context';

/** A locked write's `ledger_append` did not store it: an error with the database's code. */
function appendFailure(outcome: AppendOutcome | undefined): Error {
  if (outcome?.outcome === 'error')
    return Object.assign(new Error(outcome.message), { code: outcome.code });
  return new Error(`ledger_append did not store a locked write: ${outcome?.outcome ?? 'nothing'}`);
}

/**
 * The two ways a ledger write is stored (docs/architecture.md §2): from this instance's known
 * head without a lock, through the group writer, or under the account's row lock. Owns what
 * both share: the in-process account locks, the known heads and the folds.
 */
export class WritePaths {
  readonly locks = new AccountLocks();
  /** Each account's head after this instance's last write to it (a guess, checked on append). */
  readonly heads: HeadCache;
  /** Batches this instance's unlocked writes, many accounts a statement (group commit). */
  private readonly group: GroupWriter;
  /** Folded state per account: cached, or from its snapshot (checked against the locked head). */
  readonly folds: FoldLoader;

  constructor(
    readonly db: Database,
    readonly env: ComposeEnv,
    private readonly log: Logger,
  ) {
    this.folds = new FoldLoader(env.config, log);
    this.heads = new HeadCache(env.config.foldCacheSize);
    // PGlite has one connection: more than one batch on its way would only queue there.
    this.group = new GroupWriter(db, db.kind === 'pglite' ? 1 : 4);
  }

  /**
   * Runs one ledger operation. `operationId` null means an internal write (sweeps) with no
   * idempotency record. A replay with the same request returns the first result; the same id
   * with a different request is refused with 409.
   *
   * When this instance knows the account's head (its last write), the write is computed from
   * the cached fold without any lock and stored by one `ledger_append` call through the group
   * writer, which checks under the row lock that the head is still that one. Anything else — no
   * known head, a stale one, a callback that needs the transaction, any refusal — runs under the
   * row lock in a transaction, where the answer is decided (docs/architecture.md §2).
   */
  async write<T>(
    accountId: string,
    operation: { operationId: string; request: unknown } | null,
    fn: (ctx: WriteContext) => Promise<{ status: number; body: T }>,
  ): Promise<WriteResult<T>> {
    try {
      return await this.writeOnce(accountId, operation, fn);
    } catch (error) {
      // The fold was restored without its history and the write needed it (docs/architecture.md
      // §9): nothing was stored; run it again on the whole fold.
      if (!(error instanceof FoldHistoryNeeded)) throw error;
      this.folds.loadWhole(accountId);
      // Under the lock only: the whole fold is given to the next checkOut, which must be this one.
      return this.writeOnce(accountId, operation, fn, true);
    }
  }

  private async writeOnce<T>(
    accountId: string,
    operation: { operationId: string; request: unknown } | null,
    fn: (ctx: WriteContext) => Promise<{ status: number; body: T }>,
    lockedOnly = false,
  ): Promise<WriteResult<T>> {
    const requestHash = operation ? sha256Hex(canonicalize(operation.request)) : '';
    return this.locks.run(accountId, async () => {
      const guess = lockedOnly ? undefined : this.heads.get(accountId);
      if (guess) {
        const fast = await this.writeUnlocked(accountId, guess, operation, requestHash, fn);
        if (fast) return fast;
      }
      return this.writeLocked(accountId, operation, requestHash, fn);
    });
  }

  /** The write in a transaction under the account's row lock: the authoritative path. */
  private async writeLocked<T>(
    accountId: string,
    operation: { operationId: string; request: unknown } | null,
    requestHash: string,
    fn: (ctx: WriteContext) => Promise<{ status: number; body: T }>,
  ): Promise<WriteResult<T>> {
    let fold: WalletFold | undefined;
    let newHead: KnownHead | undefined;
    let afterCommit: Array<() => void> = [];
    try {
      const result = await this.db.transaction(async (tx): Promise<WriteResult<T>> => {
        // One statement: the row lock, the head and any earlier use of the operation id.
        const locked = await ledgerStore.lockAccount(tx, accountId, operation?.operationId ?? null);
        if (!locked) throw notFound('account');
        const { head, previous } = locked;
        if (operation && previous)
          return this.replayOf<T>(accountId, operation, requestHash, previous);
        // Checked out: only put back after a commit.
        fold = await this.folds.checkOut(tx, accountId, head);
        const c = await composeWrite(
          this.env,
          accountId,
          head,
          fold,
          { locked: true, tx, read: tx },
          fn,
        );
        afterCommit = c.afterCommit;
        const [outcome] = await appendItems(tx, [
          { ...c.item, op: operation?.operationId ?? null, requestHash },
        ]);
        if (outcome?.outcome !== 'ok') throw appendFailure(outcome);
        await this.folds.afterWrite(tx, accountId, fold, c.item.head.hash, c.now);
        newHead = {
          seq: c.item.head.seq,
          hash: c.item.head.hash,
          lastDailyDate: c.item.head.daily,
          lastMonthlyPeriod: c.item.head.monthly,
          plan: outcome.plan,
          limits: c.limits,
        };
        return { status: c.status, body: c.body, replayed: false };
      });
      if (fold) this.folds.checkIn(accountId, fold);
      if (newHead) this.heads.set(accountId, newHead);
      for (const then of afterCommit) then();
      return result;
    } catch (error) {
      this.folds.discard(accountId); // the fold may hold entries that were rolled back
      this.heads.delete(accountId);
      throw error;
    }
  }

  /**
   * The write computed from this instance's last known head and cached fold, without a lock,
   * then stored by one `ledger_append` (group commit) that checks the head under the row lock.
   * Null when the locked path must decide: the head moved, the callback needs the transaction,
   * or the callback refused (a refusal is only final when made under the lock).
   */
  private async writeUnlocked<T>(
    accountId: string,
    head: KnownHead,
    operation: { operationId: string; request: unknown } | null,
    requestHash: string,
    fn: (ctx: WriteContext) => Promise<{ status: number; body: T }>,
  ): Promise<WriteResult<T> | null> {
    let needsLock = false;
    const noTransaction: Sql = {
      query: () => {
        needsLock = true;
        return Promise.reject(new Error('this write needs the account lock'));
      },
    };
    let fold: WalletFold | undefined;
    let c: Composed<T>;
    try {
      fold = await this.folds.checkOut(this.db, accountId, head);
      c = await composeWrite(
        this.env,
        accountId,
        head,
        fold,
        { locked: false, tx: noTransaction, read: this.db },
        fn,
        head.limits,
      );
    } catch {
      this.giveBack(accountId, fold, head.seq);
      return null;
    }
    if (needsLock) {
      this.giveBack(accountId, fold, head.seq);
      return null;
    }
    let outcome: AppendOutcome;
    try {
      outcome = await this.group.submit({
        ...c.item,
        expect: {
          seq: head.seq,
          hash: head.hash,
          plan: head.plan,
          daily: head.lastDailyDate,
          monthly: head.lastMonthlyPeriod,
        },
        ...(c.limits ? { limits: { daily: c.limits.daily, monthly: c.limits.monthly } } : {}),
        op: operation?.operationId ?? null,
        requestHash,
      });
    } catch (error) {
      this.folds.discard(accountId);
      this.heads.delete(accountId);
      // A lost connection is the caller's 503: whether or not the batch committed, a retry with
      // the same operation id applies once. Anything else is decided again under the lock.
      if (isConnectionLoss(error)) throw error;
      return null;
    }
    if (outcome.outcome === 'ok') {
      this.heads.set(accountId, {
        seq: c.item.head.seq,
        hash: c.item.head.hash,
        lastDailyDate: c.item.head.daily,
        lastMonthlyPeriod: c.item.head.monthly,
        plan: outcome.plan,
        limits: c.limits ?? head.limits,
      });
      try {
        // After the commit: the snapshot is of committed entries, bound to their hash.
        await this.folds.afterWrite(this.db, accountId, fold, c.item.head.hash, c.now);
      } catch (error) {
        this.log.warn({ accountId, error: String(error) }, 'ledger snapshot not stored');
      }
      this.folds.checkIn(accountId, fold);
      for (const then of c.afterCommit) then();
      return { status: c.status, body: c.body, replayed: false };
    }
    this.folds.discard(accountId); // it holds entries that were not stored
    if (outcome.outcome === 'replay' && operation)
      return this.replayOf<T>(accountId, operation, requestHash, {
        request_hash: outcome.requestHash,
        status: outcome.status,
        result: outcome.result,
      });
    this.heads.delete(accountId);
    return null;
  }

  /**
   * After an unlocked try that stored nothing: a fold nothing was appended to is still the
   * committed wallet at `seq` (an entry the fold refuses changes nothing, docs/architecture.md
   * §2), so it goes back to the cache and the locked run catches it up instead of loading the
   * snapshot and tail again — a job's transition, whose first statement needs the transaction,
   * or a team write whose book was of another head. One appended to is dropped. A write callback
   * must not leave work running that appends after it has returned or thrown.
   */
  private giveBack(accountId: string, fold: WalletFold | undefined, seq: number): void {
    if (fold && fold.lastSeq === seq) this.folds.checkIn(accountId, fold);
    else this.folds.discard(accountId);
  }

  /** The first result of a replayed operation id; 409 when it was used for another request. */
  private replayOf<T>(
    accountId: string,
    operation: { operationId: string },
    requestHash: string,
    previous: { request_hash: string; status: number; result: string },
  ): WriteResult<T> {
    if (previous.request_hash !== requestHash) {
      if (isServerOperationId(operation.operationId)) {
        // The server's own write met its id used otherwise: an operator must look
        // (docs/architecture.md §2, idempotency); the caller decides how to go on.
        this.log.error(
          { accountId, operationId: operation.operationId, incident: 'operation-id-conflict' },
          'operator incident: an internal ledger write met its operation id already used for another request',
        );
      }
      throw conflict(
        'operation-id-reused',
        `operation ${operation.operationId} was already used for a different request`,
      );
    }
    return { status: previous.status, body: JSON.parse(previous.result) as T, replayed: true };
  }
}
