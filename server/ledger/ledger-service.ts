import { randomUUID } from 'node:crypto';
import { canonicalize } from '../../shared/canonical/jcs';
import type { BucketSource, EntryDraft, LedgerEntry, Purpose } from '../../shared/ledger/entry';
import { ChainWriter } from '../../shared/ledger/writer';
import { InsufficientCreditsError, allocate } from '../../shared/wallet/allocate';
import { FoldHistoryNeeded, type WalletFold, balancesOf } from '../../shared/wallet/fold';
import { planCapture, planExpiries, planHoldExpiries } from '../../shared/wallet/plan';
import type { WalletState } from '../../shared/wallet/types';
import { type Clock, DAY, MINUTE, endOfUtcDay, plusMs } from '../clock';
import { type Database, type Sql, isConnectionLoss } from '../db/database';
import { isServerOperationId } from '../../shared/api/common';
import { type Logger, createLogger } from '../../shared/log/logger';
import { HttpError, badRequest, conflict, notFound } from '../http/errors';
import { nodeChainDigest, sha256Hex } from '../node-digest';
import { AccountLocks } from './account-lock';
import { FoldLoader } from './fold-loader';
import { type AppendItem, type AppendOutcome, GroupWriter, appendItems } from './group-writer';
import { HeadCache, type KnownHead } from './head-cache';
import { type AccountHead, ledgerStore } from './ledger-store';
import { type Limits, enforceSpendingLimits, readLimits } from './spending-limits';
import { checkGrantTimes } from './operator-controls';
import { grantMonthlyCredits, monthOf } from './monthly-credits';

export interface LedgerConfig {
  /** Free daily credits per plan, granted on the first use of each UTC day, gone at its end. */
  dailyCreditsByPlan: Record<string, number>;
  /**
   * Free monthly credits per plan (a free plan's), granted on the first use of each UTC month
   * and lasting `expiresAfterDays` (docs/architecture.md §2, monthly credits).
   */
  monthlyCreditsByPlan: Record<string, { credits: number; expiresAfterDays: number }>;
  holdTtlMs: number;
  /** Lifetime of a refund bucket made when the paying bucket has expired. */
  refundBucketTtlMs: number;
  /** Accounts whose folded wallet is kept in memory (least recently used leave first). */
  foldCacheSize: number;
  /** Rows (`WalletFold.weight`) all cached folds together may hold (docs/architecture.md §9). */
  foldCacheWeight: number;
  /**
   * How long the fold keeps what a spend or capture paid: longer than any refund window (a
   * price book allows up to 30 days) plus the longest hold, since a refund needs it. Resolved
   * holds themselves are forgotten a day after their expiry (docs/architecture.md §9).
   */
  pruneAfterMs: number;
  /** A snapshot of the fold is stored once the chain grew this many entries past the last. */
  snapshotEvery: number;
}

export const defaultLedgerConfig: LedgerConfig = {
  dailyCreditsByPlan: { free: 20 },
  monthlyCreditsByPlan: {},
  holdTtlMs: 15 * MINUTE,
  refundBucketTtlMs: 30 * DAY,
  foldCacheSize: 2000,
  foldCacheWeight: 500_000,
  pruneAfterMs: 31 * DAY,
  snapshotEvery: 1000,
};

/** What a write callback sees: the wallet under the account lock, and a way to append. */
export interface WriteContext {
  readonly accountId: string;
  readonly now: string;
  readonly plan: string;
  readonly tx: Sql;
  /**
   * For reads whose answer the account's head vouches for, or that need no lock (a hold's
   * owner, the spending limits): the transaction on the locked path, the database otherwise.
   */
  readonly read: Sql;
  /** The account's spending limits (read once a write; checked again when it is stored). */
  spendingLimits(): Promise<Limits>;
  readonly fold: WalletFold;
  state(): WalletState;
  append(draft: EntryDraft): LedgerEntry;
  /** What this write has appended so far (not yet stored). */
  appended(): readonly LedgerEntry[];
  setTimer(refId: string, dueAt: string): void;
  clearTimer(refId: string): void;
}

export interface WriteResult<T> {
  status: number;
  body: T;
  replayed: boolean;
}

/**
 * Runs inside every ledger write that appended entries, before the commit; sees what was
 * available per credit kind before the write. What it returns runs once the write has committed
 * (docs/architecture.md §7, auto top-up). On the unlocked path (§2) `ctx.tx` refuses every
 * statement: a hook that must write through it makes the write run again under the lock, so it
 * should look first through `ctx.read` and use `ctx.tx` only when it has something to write.
 */
export type WriteHook = (
  ctx: WriteContext,
  availableBefore: Readonly<Record<string, number>>,
) => Promise<(() => void) | undefined>;

const availableOf = (state: WalletState): Record<string, number> =>
  Object.fromEntries(Object.entries(state.balances).map(([k, b]) => [k, b.available]));

interface Composed<T> {
  status: number;
  body: T;
  now: string;
  item: AppendItem;
  /** The spending limits this write read, if it read them. */
  limits: Limits | undefined;
  /** What the write hooks asked to run once the write has committed. */
  afterCommit: Array<() => void>;
}

/** A locked write's `ledger_append` did not store it: an error with the database's code. */
function appendFailure(outcome: AppendOutcome | undefined): Error {
  if (outcome?.outcome === 'error')
    return Object.assign(new Error(outcome.message), { code: outcome.code });
  return new Error(`ledger_append did not store a locked write: ${outcome?.outcome ?? 'nothing'}`);
}

export const priorityOf = (source: BucketSource): number => (source === 'daily' ? 0 : 100);

/**
 * The one authority for credits. Every write takes the account's row lock, checks the balance
 * inside the same transaction, appends entries through the shared ChainWriter (whose fold
 * refuses anything that breaks a ledger rule), and is idempotent by operation id.
 */
export class LedgerService {
  private readonly locks = new AccountLocks();
  /** Each account's head after this instance's last write to it (a guess, checked on append). */
  private readonly heads: HeadCache;
  /** Batches this instance's unlocked writes, many accounts a statement (group commit). */
  private readonly group: GroupWriter;
  /**
   * Says who else owns a hold (a job's hold is resolved only by the job: confirm, discard,
   * cancel); the public hold API refuses those (docs/architecture.md §8).
   */
  private holdOwner: (tx: Sql, holdId: string) => Promise<string | null> = async () => null;
  /** Folded state per account: cached, or from its snapshot (checked against the locked head). */
  private readonly folds: FoldLoader;
  /** Hooks by name (a second registration under a name replaces the first). */
  private readonly hooks = new Map<string, WriteHook>();

  constructor(
    readonly db: Database,
    readonly clock: Clock,
    readonly config: LedgerConfig = defaultLedgerConfig,
    private readonly log: Logger = createLogger('off'),
  ) {
    this.folds = new FoldLoader(config, log);
    this.heads = new HeadCache(config.foldCacheSize);
    // PGlite has one connection: more than one batch on its way would only queue there.
    this.group = new GroupWriter(db, db.kind === 'pglite' ? 1 : 4);
  }

  /** How many folded wallets are in memory (bounded by `foldCacheSize` and `foldCacheWeight`). */
  get cachedFolds(): number {
    return this.folds.cachedFolds;
  }

  /** Snapshots that did not match their chain since start (each folded from scratch instead). */
  get snapshotsRefused(): number {
    return this.folds.snapshotsRefused;
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
        const c = await this.compose(accountId, head, fold, tx, tx, fn);
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
    let fold: WalletFold;
    let c: Composed<T>;
    try {
      fold = await this.folds.checkOut(this.db, accountId, head);
      c = await this.compose(accountId, head, fold, noTransaction, this.db, fn, head.limits);
    } catch {
      this.folds.discard(accountId);
      return null;
    }
    if (needsLock) {
      this.folds.discard(accountId);
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

  /**
   * Runs the write's rules on `fold` at `head`: what time has decided, today's daily credits,
   * then `fn`; returns what `ledger_append` stores. `tx` is the write's transaction, `read`
   * where reads that need no lock go (the transaction too, on the locked path).
   */
  private async compose<T>(
    accountId: string,
    head: AccountHead,
    fold: WalletFold,
    tx: Sql,
    read: Sql,
    fn: (ctx: WriteContext) => Promise<{ status: number; body: T }>,
    knownLimits?: Limits,
  ): Promise<Composed<T>> {
    let limits: Limits | undefined;
    const writer = new ChainWriter(accountId, {
      head: { seq: head.seq, hash: head.hash },
      fold,
      digest: nodeChainDigest,
    });
    // Entry times never go backwards, even if this instance's clock is behind another's.
    const clockNow = this.clock.now();
    const now = clockNow > fold.lastAt ? clockNow : fold.lastAt;
    const pending: Array<{ entry: LedgerEntry; balancesAfter: Record<string, number> }> = [];
    // The last change to each timer wins (set, or null to clear).
    const timers = new Map<string, string | null>();
    let lastDailyDate = head.lastDailyDate;
    // The wallet at `now` is computed once per seq: a write reads it several times (expiries,
    // the operation, the hooks) and each entry's balances are the view just after it.
    let viewed: { seq: number; state: WalletState } | undefined;
    const stateNow = (): WalletState => {
      const seq = writer.current.seq;
      if (viewed?.seq !== seq) viewed = { seq, state: writer.view(now) };
      return viewed.state;
    };
    const ctx: WriteContext = {
      accountId,
      now,
      plan: head.plan,
      tx,
      read,
      spendingLimits: async () => (limits ??= knownLimits ?? (await readLimits(read, accountId))),
      fold,
      state: stateNow,
      append: (draft) => {
        const entry = writer.append(draft, now);
        // An entry's balances are the view at its own time, which is `now` here.
        const balancesAfter = fold.lastAt === now ? balancesOf(stateNow()) : writer.headBalances();
        pending.push({ entry, balancesAfter });
        return entry;
      },
      appended: () => pending.map((p) => p.entry),
      setTimer: (refId, dueAt) => timers.set(refId, dueAt),
      clearTimer: (refId) => timers.set(refId, null),
    };

    const before = this.hooks.size > 0 ? availableOf(ctx.state()) : null;
    this.materialise(ctx);
    const today = now.slice(0, 10);
    const daily = this.config.dailyCreditsByPlan[head.plan] ?? 0;
    if (lastDailyDate !== today) {
      if (daily > 0) {
        ctx.append({
          type: 'grant',
          operationId: `daily:${today}`,
          reason: 'free daily credits',
          bucket: {
            bucketId: `daily-${today}`,
            kind: 'image',
            source: 'daily',
            amount: daily,
            costBasisCents: 0,
            effectiveAt: now,
            expiresAt: endOfUtcDay(now),
            priority: priorityOf('daily'),
          },
        });
      }
      lastDailyDate = today;
    }
    // Checked against the head the write started from; ledger_append refuses the write when the
    // stored month differs, so two instances grant a month once (§2, monthly credits).
    const lastMonthlyPeriod = grantMonthlyCredits(
      ctx,
      this.config.monthlyCreditsByPlan[head.plan],
      head.lastMonthlyPeriod,
    );

    const { status, body } = await fn(ctx);
    const afterCommit: Array<() => void> = [];
    if (before && pending.length > 0)
      for (const hook of this.hooks.values()) {
        const then = await hook(ctx, before);
        if (then) afterCommit.push(then);
      }
    const timersSet: Array<{ ref: string; due: string }> = [];
    const timersClear: string[] = [];
    for (const [ref, due] of timers) {
      if (due === null) timersClear.push(ref);
      else timersSet.push({ ref, due });
    }
    return {
      status,
      body,
      now,
      limits,
      afterCommit,
      item: {
        account: accountId,
        op: null,
        requestHash: '',
        entries: pending.map(({ entry, balancesAfter }) => ({
          seq: entry.seq,
          hash: entry.hash,
          body: entry.body,
          type: entry.data.type,
          at: entry.data.at,
          operation_id: entry.data.operationId,
          balances_after: JSON.stringify(balancesAfter),
        })),
        head: {
          seq: writer.current.seq,
          hash: writer.current.hash,
          daily: lastDailyDate,
          monthly: lastMonthlyPeriod,
        },
        timersSet,
        timersClear,
        status,
        result: JSON.stringify(body),
      },
    };
  }

  /** Writes what time alone has decided: expired holds, allowances and buckets. Deterministic. */
  private materialise(ctx: WriteContext): void {
    let state = ctx.state();
    for (const hold of planHoldExpiries(state, ctx.now)) {
      ctx.append({
        type: 'release',
        operationId: `expire:${hold.holdId}`,
        holdId: hold.holdId,
        amount: hold.amount,
        reason: 'expired',
      });
      ctx.clearTimer(hold.holdId);
    }
    for (const reserve of [...state.openReserves.values()].filter((r) => r.expiresAt <= ctx.now)) {
      ctx.append({
        type: 'unreserve',
        operationId: `expire:${reserve.allowanceId}`,
        allowanceId: reserve.allowanceId,
        amount: reserve.amount - reserve.settled,
        reason: 'expired',
      });
      ctx.clearTimer(reserve.allowanceId);
    }
    state = ctx.state();
    for (const expiry of planExpiries(state, ctx.now)) {
      ctx.append({ type: 'expire', operationId: `expire:${expiry.bucketId}`, ...expiry });
    }
  }

  /** Reads the wallet now (after catching up with other instances' writes). */
  async wallet(accountId: string): Promise<WalletState> {
    return this.locks.run(accountId, async () => {
      const { rows } = await this.db.query<{
        head_seq: number;
        head_hash: string;
        last_daily_date: string | null;
        last_monthly_period: string | null;
        plan: string;
      }>(
        'select head_seq, head_hash, last_daily_date, last_monthly_period, plan from accounts where id = $1',
        [accountId],
      );
      const head = rows[0];
      if (!head) throw notFound('account');
      const fold = await this.folds.checkOut(this.db, accountId, {
        seq: head.head_seq,
        hash: head.head_hash,
      });
      this.folds.checkIn(accountId, fold);
      this.heads.set(accountId, {
        seq: head.head_seq,
        hash: head.head_hash,
        lastDailyDate: head.last_daily_date,
        lastMonthlyPeriod: head.last_monthly_period,
        plan: head.plan,
      });
      const clockNow = this.clock.now();
      return fold.view(clockNow > fold.lastAt ? clockNow : fold.lastAt);
    });
  }

  /** Grants the daily and monthly credits (and materialises expiries) if not yet done. */
  async touch(accountId: string): Promise<void> {
    const { rows } = await this.db.query<{
      last_daily_date: string | null;
      last_monthly_period: string | null;
    }>('select last_daily_date, last_monthly_period from accounts where id = $1', [accountId]);
    const row = rows[0];
    if (!row) throw notFound('account');
    const now = this.clock.now();
    if (row.last_daily_date !== now.slice(0, 10) || row.last_monthly_period !== monthOf(now)) {
      await this.write(accountId, null, async () => ({ status: 200, body: null }));
    }
  }

  /** Materialises every due hold and allowance expiry (run periodically). */
  async sweep(): Promise<number> {
    const due = await ledgerStore.dueAccounts(this.db, this.clock.now());
    for (const accountId of due)
      await this.write(accountId, null, async () => ({ status: 200, body: null }));
    return due.length;
  }

  /** Adds (or replaces, by name) a hook that runs inside each write (see WriteHook). */
  setWriteHook(name: string, hook: WriteHook): void {
    this.hooks.set(name, hook);
  }

  /** Registers who owns holds besides the public hold API (the jobs module). */
  setHoldOwner(owner: (tx: Sql, holdId: string) => Promise<string | null>): void {
    this.holdOwner = owner;
  }

  private async refuseOwnedHold(tx: Sql, holdId: string): Promise<void> {
    const owner = await this.holdOwner(tx, holdId);
    if (owner)
      throw conflict(
        'hold-belongs-to-job',
        `hold ${holdId} belongs to ${owner}: confirm, discard or cancel the job instead`,
      );
  }

  // ---- operations -------------------------------------------------------------------------

  async hold(
    accountId: string,
    req: {
      operationId: string;
      kind: string;
      amount: number;
      purpose: Purpose;
      ttlSeconds?: number | undefined;
    },
    extra?: (ctx: WriteContext, holdId: string) => Promise<void>,
  ) {
    return this.write(
      accountId,
      { operationId: req.operationId, request: { op: 'hold', ...req } },
      async (ctx) => {
        const holdId = `hold_${randomUUID()}`;
        const splits = allocateOr402(ctx.state(), req.kind, req.amount);
        await enforceSpendingLimits(ctx, req.amount);
        const expiresAt = plusMs(
          ctx.now,
          req.ttlSeconds ? req.ttlSeconds * 1000 : this.config.holdTtlMs,
        );
        const entry = ctx.append({
          type: 'hold',
          operationId: req.operationId,
          holdId,
          kind: req.kind,
          amount: req.amount,
          splits,
          expiresAt,
          purpose: req.purpose,
        });
        ctx.setTimer(holdId, expiresAt);
        await extra?.(ctx, holdId);
        return {
          status: 201,
          body: { holdId, seq: entry.seq, amount: req.amount, expiresAt, status: 'open' as const },
        };
      },
    );
  }

  async capture(accountId: string, holdId: string, req: { operationId: string; amount: number }) {
    return this.write(
      accountId,
      { operationId: req.operationId, request: { op: 'capture', holdId, ...req } },
      async (ctx) => {
        const hold = openHoldOr409(ctx.fold, holdId);
        await this.refuseOwnedHold(ctx.read, holdId);
        if (req.amount > hold.amount)
          throw badRequest(
            'capture-exceeds-hold',
            `cannot capture ${req.amount}: the hold is ${hold.amount}`,
          );
        const entry = ctx.append({
          type: 'capture',
          operationId: req.operationId,
          holdId,
          amount: req.amount,
          splits: planCapture(hold, req.amount),
        });
        ctx.clearTimer(holdId);
        return {
          status: 200,
          body: {
            holdId,
            seq: entry.seq,
            amount: req.amount,
            expiresAt: hold.expiresAt,
            status: 'captured' as const,
          },
        };
      },
    );
  }

  async release(
    accountId: string,
    holdId: string,
    req: { operationId: string; reason: 'released' | 'cancelled' | 'failed' | 'discarded' },
  ) {
    return this.write(
      accountId,
      { operationId: req.operationId, request: { op: 'release', holdId, ...req } },
      async (ctx) => {
        const hold = openHoldOr409(ctx.fold, holdId);
        await this.refuseOwnedHold(ctx.read, holdId);
        const entry = ctx.append({
          type: 'release',
          operationId: req.operationId,
          holdId,
          amount: hold.amount,
          reason: req.reason,
        });
        ctx.clearTimer(holdId);
        return {
          status: 200,
          body: {
            holdId,
            seq: entry.seq,
            amount: hold.amount,
            expiresAt: hold.expiresAt,
            status: 'released' as const,
          },
        };
      },
    );
  }

  /** Adds a bucket: sign-up bonus, promotions, plan allowances, operator grants. */
  async grant(
    accountId: string,
    req: {
      operationId: string;
      kind?: string;
      amount: number;
      source: BucketSource;
      reason: string;
      expiresAt?: string | null;
      costBasisCents?: number;
      /** Operator grants (docs/architecture.md §2, operator controls): who, spending order, start. */
      operator?: string;
      priority?: number;
      startsAt?: string | null;
    },
  ) {
    return this.write(
      accountId,
      { operationId: req.operationId, request: { op: 'grant', ...req } },
      async (ctx) => {
        const effectiveAt = checkGrantTimes(ctx.now, req.startsAt ?? null, req.expiresAt ?? null);
        const bucketId = `b_${randomUUID()}`;
        const entry = ctx.append({
          type: 'grant',
          operationId: req.operationId,
          reason: req.reason,
          ...(req.operator === undefined ? {} : { operator: req.operator }),
          bucket: {
            bucketId,
            kind: req.kind ?? 'image',
            source: req.source,
            amount: req.amount,
            costBasisCents: req.costBasisCents ?? 0,
            effectiveAt,
            expiresAt: req.expiresAt ?? null,
            priority: req.priority ?? priorityOf(req.source),
          },
        });
        return { status: 201, body: { seq: entry.seq, hash: entry.hash, bucketId } };
      },
    );
  }

  /** Takes credits away (an operator's correction); never below zero. */
  async revoke(
    accountId: string,
    req: { operationId: string; kind?: string; amount: number; reason: string; operator?: string },
  ) {
    return this.write(
      accountId,
      { operationId: req.operationId, request: { op: 'revoke', ...req } },
      async (ctx) => {
        const kind = req.kind ?? 'image';
        const splits = allocateOr402(ctx.state(), kind, req.amount);
        const entry = ctx.append({
          type: 'spend',
          operationId: req.operationId,
          kind,
          amount: req.amount,
          splits,
          purpose: {
            kind: 'revoke',
            reason: req.reason,
            ...(req.operator === undefined ? {} : { operator: req.operator }),
          },
        });
        return { status: 201, body: { seq: entry.seq, hash: entry.hash } };
      },
    );
  }
}

export function allocateOr402(state: WalletState, kind: string, amount: number) {
  try {
    return allocate(state.buckets, kind, amount);
  } catch (error) {
    if (error instanceof InsufficientCreditsError) {
      throw new HttpError(402, 'insufficient-credits', error.message, {
        kind,
        requested: amount,
        available: Math.max(0, state.balances[kind]?.available ?? 0),
      });
    }
    throw error;
  }
}

/** The open hold `holdId`: 404 when there is none, 409 when it is already resolved. */
function openHoldOr409(fold: WalletFold, holdId: string) {
  const hold = fold.hold(holdId) ?? throwIt(notFound('hold'));
  if (hold.status !== 'open')
    throw conflict('hold-not-open', `hold ${holdId} is already ${hold.status}`);
  return hold;
}

export function throwIt(error: Error): never {
  throw error;
}
