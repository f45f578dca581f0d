import { randomUUID } from 'node:crypto';
import { canonicalize } from '../../shared/canonical/jcs';
import type { BucketSource, EntryDraft, LedgerEntry, Purpose } from '../../shared/ledger/entry';
import { ChainWriter } from '../../shared/ledger/writer';
import { InsufficientCreditsError, allocate } from '../../shared/wallet/allocate';
import { FoldHistoryNeeded, type WalletFold } from '../../shared/wallet/fold';
import { planCapture, planExpiries, planHoldExpiries } from '../../shared/wallet/plan';
import type { WalletState } from '../../shared/wallet/types';
import { type Clock, DAY, MINUTE, endOfUtcDay, plusMs } from '../clock';
import type { Database, Sql } from '../db/database';
import { isServerOperationId } from '../../shared/api/common';
import { type Logger, createLogger } from '../../shared/log/logger';
import { HttpError, badRequest, conflict, notFound } from '../http/errors';
import { nodeChainDigest, sha256Hex } from '../node-digest';
import { AccountLocks } from './account-lock';
import { FoldLoader } from './fold-loader';
import { ledgerStore } from './ledger-store';
import { enforceSpendingLimits } from './spending-limits';

export interface LedgerConfig {
  /** Free daily credits per plan, granted on the first use of each UTC day, gone at its end. */
  dailyCreditsByPlan: Record<string, number>;
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

export const priorityOf = (source: BucketSource): number => (source === 'daily' ? 0 : 100);

/**
 * The one authority for credits. Every write takes the account's row lock, checks the balance
 * inside the same transaction, appends entries through the shared ChainWriter (whose fold
 * refuses anything that breaks a ledger rule), and is idempotent by operation id.
 */
export class LedgerService {
  private readonly locks = new AccountLocks();
  /**
   * Says who else owns a hold (a job's hold is resolved only by the job: confirm, discard,
   * cancel); the public hold API refuses those (docs/architecture.md §8).
   */
  private holdOwner: (tx: Sql, holdId: string) => Promise<string | null> = async () => null;
  /** Folded state per account: cached, or from its snapshot (checked against the locked head). */
  private readonly folds: FoldLoader;

  constructor(
    readonly db: Database,
    readonly clock: Clock,
    readonly config: LedgerConfig = defaultLedgerConfig,
    private readonly log: Logger = createLogger('off'),
  ) {
    this.folds = new FoldLoader(config, log);
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
      return this.writeOnce(accountId, operation, fn);
    }
  }

  private async writeOnce<T>(
    accountId: string,
    operation: { operationId: string; request: unknown } | null,
    fn: (ctx: WriteContext) => Promise<{ status: number; body: T }>,
  ): Promise<WriteResult<T>> {
    const requestHash = operation ? sha256Hex(canonicalize(operation.request)) : '';
    return this.locks.run(accountId, async () => {
      let fold: WalletFold | undefined;
      try {
        const result = await this.db.transaction(async (tx): Promise<WriteResult<T>> => {
          const head = await ledgerStore.lockAccount(tx, accountId);
          if (!head) throw notFound('account');
          if (operation) {
            const previous = await ledgerStore.findOperation(tx, accountId, operation.operationId);
            if (previous) {
              if (previous.request_hash !== requestHash) {
                if (isServerOperationId(operation.operationId)) {
                  // The server's own write met its id used otherwise: an operator must look
                  // (docs/architecture.md §2, idempotency); the caller decides how to go on.
                  this.log.error(
                    {
                      accountId,
                      operationId: operation.operationId,
                      incident: 'operation-id-conflict',
                    },
                    'operator incident: an internal ledger write met its operation id already used for another request',
                  );
                }
                throw conflict(
                  'operation-id-reused',
                  `operation ${operation.operationId} was already used for a different request`,
                );
              }
              return {
                status: previous.status,
                body: JSON.parse(previous.result) as T,
                replayed: true,
              };
            }
          }
          // Checked out: only put back after a commit.
          fold = await this.folds.checkOut(tx, accountId, head);

          const writer = new ChainWriter(accountId, {
            head: { seq: head.seq, hash: head.hash },
            fold,
            digest: nodeChainDigest,
          });
          // Entry times never go backwards, even if this instance's clock is behind another's.
          const clockNow = this.clock.now();
          const now = clockNow > fold.lastAt ? clockNow : fold.lastAt;
          const pending: Array<{ entry: LedgerEntry; balancesAfter: Record<string, number> }> = [];
          const timers: Array<[string, string | null]> = [];
          let lastDailyDate = head.lastDailyDate;
          const ctx: WriteContext = {
            accountId,
            now,
            plan: head.plan,
            tx,
            fold,
            state: () => writer.view(now),
            append: (draft) => {
              const entry = writer.append(draft, now);
              pending.push({ entry, balancesAfter: writer.headBalances() });
              return entry;
            },
            appended: () => pending.map((p) => p.entry),
            setTimer: (refId, dueAt) => timers.push([refId, dueAt]),
            clearTimer: (refId) => timers.push([refId, null]),
          };

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

          const { status, body } = await fn(ctx);

          await ledgerStore.insertEntries(tx, accountId, pending);
          await ledgerStore.moveHead(
            tx,
            accountId,
            writer.current.seq,
            writer.current.hash,
            lastDailyDate,
          );
          await this.folds.afterWrite(tx, accountId, fold, writer.current.hash, now);
          for (const [refId, dueAt] of timers) {
            if (dueAt === null) await ledgerStore.clearTimer(tx, accountId, refId);
            else await ledgerStore.setTimer(tx, accountId, refId, dueAt);
          }
          if (operation)
            await ledgerStore.recordOperation(
              tx,
              accountId,
              operation.operationId,
              requestHash,
              status,
              body,
            );
          return { status, body, replayed: false };
        });
        if (fold) this.folds.checkIn(accountId, fold);
        return result;
      } catch (error) {
        this.folds.discard(accountId); // the fold may hold entries that were rolled back
        throw error;
      }
    });
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
      const { rows } = await this.db.query<{ head_seq: number; head_hash: string }>(
        'select head_seq, head_hash from accounts where id = $1',
        [accountId],
      );
      const head = rows[0];
      if (!head) throw notFound('account');
      const fold = await this.folds.checkOut(this.db, accountId, {
        seq: head.head_seq,
        hash: head.head_hash,
      });
      this.folds.checkIn(accountId, fold);
      const clockNow = this.clock.now();
      return fold.view(clockNow > fold.lastAt ? clockNow : fold.lastAt);
    });
  }

  /** Grants the daily credits (and materialises expiries) if today's first use has not. */
  async touch(accountId: string): Promise<void> {
    const { rows } = await this.db.query<{ last_daily_date: string | null }>(
      'select last_daily_date from accounts where id = $1',
      [accountId],
    );
    const row = rows[0];
    if (!row) throw notFound('account');
    if (row.last_daily_date !== this.clock.now().slice(0, 10)) {
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
        await this.refuseOwnedHold(ctx.tx, holdId);
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
        await this.refuseOwnedHold(ctx.tx, holdId);
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
    },
  ) {
    return this.write(
      accountId,
      { operationId: req.operationId, request: { op: 'grant', ...req } },
      async (ctx) => {
        const entry = ctx.append({
          type: 'grant',
          operationId: req.operationId,
          reason: req.reason,
          bucket: {
            bucketId: `b_${randomUUID()}`,
            kind: req.kind ?? 'image',
            source: req.source,
            amount: req.amount,
            costBasisCents: req.costBasisCents ?? 0,
            effectiveAt: ctx.now,
            expiresAt: req.expiresAt ?? null,
            priority: priorityOf(req.source),
          },
        });
        return { status: 201, body: { seq: entry.seq, hash: entry.hash } };
      },
    );
  }

  /** Takes credits away (an operator's correction); never below zero. */
  async revoke(
    accountId: string,
    req: { operationId: string; kind?: string; amount: number; reason: string },
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
          purpose: { kind: 'revoke', reason: req.reason },
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
