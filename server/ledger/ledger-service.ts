import { randomUUID } from 'node:crypto';
import type { BucketSource, Purpose, Split, TeamTag } from '../../shared/ledger/entry';
import { InsufficientCreditsError, allocate } from '../../shared/wallet/allocate';
import type { WalletFold } from '../../shared/wallet/fold';
import { planCapture } from '../../shared/wallet/plan';
import type { HoldView, WalletState } from '../../shared/wallet/types';
import { type Clock, DAY, MINUTE, plusMs } from '../clock';
import type { Database, Sql } from '../db/database';
import { type Logger, createLogger } from '../../shared/log/logger';
import { HttpError, badRequest, conflict, notFound } from '../http/errors';
import { priorityOf } from './compose';
import { readWallet } from './ledger-reads';
import { ledgerStore } from './ledger-store';
import { enforceSpendingLimits } from './spending-limits';
import { checkGrantTimes } from './operator-controls';
import { monthOf } from './monthly-credits';
import type { WriteContext, WriteHook, WriteResult } from './write-context';
import { WritePaths } from './write-paths';

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

export type { WriteContext, WriteHook, WriteResult } from './write-context';

/** A hold's request: what it reserves, for what, and for how long (else the configured time). */
export interface HoldRequest {
  operationId: string;
  kind: string;
  amount: number;
  purpose: Purpose;
  ttlSeconds?: number | undefined;
}

/** Why a hold is released through the hold API (an expiry is the ledger's own, §2). */
export type ReleaseReason = 'released' | 'cancelled' | 'failed' | 'discarded';
export { priorityOf };

/**
 * The one authority for credits. Every write takes the account's row lock, checks the balance
 * inside the same transaction, appends entries through the shared ChainWriter (whose fold
 * refuses anything that breaks a ledger rule), and is idempotent by operation id.
 */
export class LedgerService {
  /**
   * Says who else owns a hold (a job's hold is resolved only by the job: confirm, discard,
   * cancel); the public hold API refuses those (docs/architecture.md §8).
   */
  private holdOwner: (tx: Sql, holdId: string) => Promise<string | null> = async () => null;
  /** Hooks by name (a second registration under a name replaces the first). */
  private readonly hooks = new Map<string, WriteHook>();
  /** How writes are computed and stored: compose.ts, write-paths.ts (docs/architecture.md §2). */
  private readonly paths: WritePaths;

  constructor(
    readonly db: Database,
    readonly clock: Clock,
    readonly config: LedgerConfig = defaultLedgerConfig,
    log: Logger = createLogger('off'),
  ) {
    this.paths = new WritePaths(db, { clock, config, hooks: this.hooks }, log);
  }

  /** How many folded wallets are in memory (bounded by `foldCacheSize` and `foldCacheWeight`). */
  get cachedFolds(): number {
    return this.paths.folds.cachedFolds;
  }

  /** Snapshots that did not match their chain since start (each folded from scratch instead). */
  get snapshotsRefused(): number {
    return this.paths.folds.snapshotsRefused;
  }

  /**
   * Runs one ledger operation: see `WritePaths.write` (docs/architecture.md §2). `operationId`
   * null means an internal write (sweeps) with no idempotency record.
   */
  write<T>(
    accountId: string,
    operation: { operationId: string; request: unknown } | null,
    fn: (ctx: WriteContext) => Promise<{ status: number; body: T }>,
  ): Promise<WriteResult<T>> {
    return this.paths.write(accountId, operation, fn);
  }

  /** Reads the wallet now (after catching up with other instances' writes). */
  wallet(accountId: string): Promise<WalletState> {
    return readWallet(this.paths, accountId);
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

  /** Refuses (409 `hold-belongs-to-job`) a hold a job owns: only the job settles it. */
  async refuseOwnedHold(tx: Sql, holdId: string): Promise<void> {
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
    req: HoldRequest,
    extra?: (ctx: WriteContext, holdId: string) => Promise<void>,
  ) {
    return this.write(
      accountId,
      { operationId: req.operationId, request: { op: 'hold', ...req } },
      async (ctx) => {
        const splits = allocateOr402(ctx.state(), req.kind, req.amount);
        await enforceSpendingLimits(ctx, req.amount);
        const body = appendHold(ctx, req, splits, this.config.holdTtlMs);
        await extra?.(ctx, body.holdId);
        return { status: 201, body };
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
        return { status: 200, body: appendCapture(ctx, hold, req.operationId, req.amount) };
      },
    );
  }

  async release(
    accountId: string,
    holdId: string,
    req: { operationId: string; reason: ReleaseReason },
  ) {
    return this.write(
      accountId,
      { operationId: req.operationId, request: { op: 'release', holdId, ...req } },
      async (ctx) => {
        const hold = openHoldOr409(ctx.fold, holdId);
        await this.refuseOwnedHold(ctx.read, holdId);
        return { status: 200, body: appendRelease(ctx, hold, req.operationId, req.reason) };
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

/**
 * Appends a new hold of `splits` (already allocated and checked against the limits or budgets)
 * and sets its expiry timer, `ttlSeconds` or else `defaultTtlMs` from now; the answer is the hold
 * route's body. A team write passes the member and project the entry names (§2, §14).
 */
export function appendHold(
  ctx: WriteContext,
  req: HoldRequest,
  splits: Split[],
  defaultTtlMs: number,
  team?: TeamTag,
) {
  const holdId = `hold_${randomUUID()}`;
  const expiresAt = plusMs(ctx.now, req.ttlSeconds ? req.ttlSeconds * 1000 : defaultTtlMs);
  const entry = ctx.append({
    type: 'hold',
    operationId: req.operationId,
    holdId,
    kind: req.kind,
    amount: req.amount,
    splits,
    expiresAt,
    purpose: req.purpose,
    ...(team === undefined ? {} : { team }),
  });
  ctx.setTimer(holdId, expiresAt);
  return { holdId, seq: entry.seq, amount: req.amount, expiresAt, status: 'open' as const };
}

/**
 * Appends the capture of an open hold (at most what it holds, 400 `capture-exceeds-hold`; the
 * rest returns) and clears its expiry timer; the answer is the capture route's body. A team
 * write passes the member and project the entry names (docs/architecture.md §2, §14).
 */
export function appendCapture(
  ctx: WriteContext,
  hold: HoldView,
  operationId: string,
  amount: number,
  team?: TeamTag,
) {
  if (amount > hold.amount)
    throw badRequest(
      'capture-exceeds-hold',
      `cannot capture ${amount}: the hold is ${hold.amount}`,
    );
  const entry = ctx.append({
    type: 'capture',
    operationId,
    holdId: hold.holdId,
    amount,
    splits: planCapture(hold, amount),
    ...(team === undefined ? {} : { team }),
  });
  ctx.clearTimer(hold.holdId);
  return {
    holdId: hold.holdId,
    seq: entry.seq,
    amount,
    expiresAt: hold.expiresAt,
    status: 'captured' as const,
  };
}

/**
 * Appends the release of an open hold (all of it returns) and clears its expiry timer; the answer
 * is the release route's body. A team write passes the entry's member and project (§14).
 */
export function appendRelease(
  ctx: WriteContext,
  hold: HoldView,
  operationId: string,
  reason: ReleaseReason,
  team?: TeamTag,
) {
  const entry = ctx.append({
    type: 'release',
    operationId,
    holdId: hold.holdId,
    amount: hold.amount,
    reason,
    ...(team === undefined ? {} : { team }),
  });
  ctx.clearTimer(hold.holdId);
  return {
    holdId: hold.holdId,
    seq: entry.seq,
    amount: hold.amount,
    expiresAt: hold.expiresAt,
    status: 'released' as const,
  };
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
