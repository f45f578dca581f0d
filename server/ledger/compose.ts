import type { BucketSource, LedgerEntry } from '../../shared/ledger/entry';
import { ChainWriter } from '../../shared/ledger/writer';
import { type WalletFold, balancesOf } from '../../shared/wallet/fold';
import { planExpiries, planHoldExpiries } from '../../shared/wallet/plan';
import type { WalletState } from '../../shared/wallet/types';
import { type Clock, endOfUtcDay } from '../clock';
import type { Sql } from '../db/database';
import { nodeChainDigest } from '../node-digest';
import type { TeamBookPart } from '../teams/book-ops';
import type { AppendItem } from './group-writer';
import type { AccountHead } from './ledger-store';
import type { LedgerConfig } from './ledger-service';
import { grantMonthlyCredits } from './monthly-credits';
import { type Limits, readLimits } from './spending-limits';
import type { WriteContext, WriteHook } from './write-context';

/** What composing a write needs from its service (docs/architecture.md §2). */
export interface ComposeEnv {
  readonly clock: Clock;
  readonly config: LedgerConfig;
  readonly hooks: ReadonlyMap<string, WriteHook>;
}

const availableOf = (state: WalletState): Record<string, number> =>
  Object.fromEntries(Object.entries(state.balances).map(([k, b]) => [k, b.available]));

export interface Composed<T> {
  status: number;
  body: T;
  now: string;
  item: AppendItem;
  /** The spending limits this write read, if it read them. */
  limits: Limits | undefined;
  /** What the write hooks asked to run once the write has committed. */
  afterCommit: Array<() => void>;
}

export const priorityOf = (source: BucketSource): number => (source === 'daily' ? 0 : 100);

/**
 * Runs the write's rules on `fold` at `head`: what time has decided, today's daily credits,
 * then `fn`; returns what `ledger_append` stores. `where.tx` is the write's transaction, `read`
 * where reads that need no lock go (the transaction too, on the locked path).
 */
export async function composeWrite<T>(
  env: ComposeEnv,
  accountId: string,
  head: AccountHead,
  fold: WalletFold,
  where: { locked: boolean; tx: Sql; read: Sql },
  fn: (ctx: WriteContext) => Promise<{ status: number; body: T }>,
  knownLimits?: Limits,
): Promise<Composed<T>> {
  const { locked, tx, read } = where;
  let limits: Limits | undefined;
  const writer = new ChainWriter(accountId, {
    head: { seq: head.seq, hash: head.hash },
    fold,
    digest: nodeChainDigest,
  });
  // Entry times never go backwards, even if this instance's clock is behind another's.
  const clockNow = env.clock.now();
  const now = clockNow > fold.lastAt ? clockNow : fold.lastAt;
  const pending: Array<{ entry: LedgerEntry; balancesAfter: Record<string, number> }> = [];
  // The last change to each timer wins (set, or null to clear).
  const timers = new Map<string, string | null>();
  let lastDailyDate = head.lastDailyDate;
  // The wallet at `now` is computed once per seq: a write reads it several times (expiries,
  // the operation, the hooks) and each entry's balances are the view just after it.
  let viewed: { seq: number; state: WalletState } | undefined;
  let teamPart: TeamBookPart | undefined;
  const committed: Array<(headHash: string) => void> = [];
  const stateNow = (): WalletState => {
    const seq = writer.current.seq;
    if (viewed?.seq !== seq) viewed = { seq, state: writer.view(now) };
    return viewed.state;
  };
  const ctx: WriteContext = {
    accountId,
    locked,
    headHash: head.hash,
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
    storeWith: (part) => {
      if (teamPart) throw new Error('a write stores one team bookkeeping part');
      teamPart = part;
    },
    afterCommit: (then) => committed.push(then),
  };

  const before = env.hooks.size > 0 ? availableOf(ctx.state()) : null;
  materialise(ctx);
  const today = now.slice(0, 10);
  const daily = env.config.dailyCreditsByPlan[head.plan] ?? 0;
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
    env.config.monthlyCreditsByPlan[head.plan],
    head.lastMonthlyPeriod,
  );

  const { status, body } = await fn(ctx);
  const afterCommit: Array<() => void> = committed.map((then) => () => then(writer.current.hash));
  if (before && pending.length > 0)
    for (const hook of env.hooks.values()) {
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
      ...(teamPart ? { team: teamPart } : {}),
      status,
      result: JSON.stringify(body),
    },
  };
}

/** Writes what time alone has decided: expired holds, allowances and buckets. Deterministic. */
function materialise(ctx: WriteContext): void {
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
