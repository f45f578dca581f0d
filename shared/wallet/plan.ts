import type { BucketSpec, Split } from '../ledger/entry';
import type { HoldView, PaymentView, ReserveView, WalletState } from './types';

/**
 * Pure planners: given the folded wallet, they compute the splits an entry must carry. The
 * server builds entries with them and the fold re-checks every one, so a planner bug is
 * caught as an invariant violation instead of silently corrupting a balance.
 */

/** Takes `amount` from a hold's earmarks in the order the hold allocated them. */
export function planCapture(hold: HoldView, amount: number): Split[] {
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > hold.amount) {
    throw new RangeError(`capture must be between 0 and ${hold.amount}, got ${amount}`);
  }
  return takeInOrder(hold.splits, amount);
}

/** Takes `amount` from what an allowance still earmarks, in allocation order. */
export function planSettle(reserve: ReserveView, amount: number): Split[] {
  const left = reserve.amount - reserve.settled;
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > left) {
    throw new RangeError(`settle must be between 1 and ${left}, got ${amount}`);
  }
  return takeInOrder(reserve.earmarks, amount);
}

function takeInOrder(from: readonly Split[], amount: number): Split[] {
  const out: Split[] = [];
  let left = amount;
  for (const s of from) {
    if (left === 0) break;
    const take = Math.min(left, s.amount);
    if (take > 0) out.push({ bucketId: s.bucketId, amount: take });
    left -= take;
  }
  if (left !== 0) throw new RangeError('earmarks do not cover the amount');
  return out;
}

export interface RefundPlan {
  splits: Split[];
  newBucket: BucketSpec | null;
}

/**
 * Plans a refund of `amount` back to the buckets that paid (`payment`): the last bucket spent is
 * refilled first (it is the one that would have been spent last), and whatever belongs to a
 * bucket that is no longer live lands in one new refund bucket.
 */
export function planRefund(
  payment: PaymentView,
  isLive: (bucketId: string) => boolean,
  amount: number,
  newBucket: Omit<BucketSpec, 'amount' | 'kind' | 'source'>,
): RefundPlan {
  const refundable = payment.splits.reduce((t, s) => t + s.amount, 0) - payment.refundedTotal;
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > refundable) {
    throw new RangeError(`refund must be between 1 and ${refundable}, got ${amount}`);
  }
  const splits: Split[] = [];
  let toNewBucket = 0;
  let left = amount;
  for (const paid of [...payment.splits].reverse()) {
    if (left === 0) break;
    const back = Math.min(left, paid.amount - (payment.refunded.get(paid.bucketId) ?? 0));
    if (back <= 0) continue;
    if (isLive(paid.bucketId)) splits.push({ bucketId: paid.bucketId, amount: back });
    else toNewBucket += back;
    left -= back;
  }
  return {
    splits,
    newBucket:
      toNewBucket > 0
        ? { ...newBucket, kind: payment.kind, source: 'refund', amount: toNewBucket }
        : null,
  };
}

export interface ExpiryPlan {
  bucketId: string;
  kind: string;
  amount: number;
}

/** Buckets past their expiry that still have unheld credits: each needs an expire entry. */
export function planExpiries(state: WalletState, now: string): ExpiryPlan[] {
  return state.buckets
    .filter((b) => b.expiresAt !== null && b.expiresAt <= now && b.remaining - b.held > 0)
    .sort(
      (a, b) => (a.expiresAt ?? '').localeCompare(b.expiresAt ?? '') || a.createdSeq - b.createdSeq,
    )
    .map((b) => ({ bucketId: b.bucketId, kind: b.kind, amount: b.remaining - b.held }));
}

/** Open holds past their expiry: each needs a release with reason "expired". */
export function planHoldExpiries(state: WalletState, now: string): HoldView[] {
  return [...state.openHolds.values()]
    .filter((h) => h.expiresAt <= now)
    .sort((a, b) => a.seq - b.seq);
}

export interface ReversalPlan {
  kind: string;
  amount: number;
  splits: Split[];
  shortfall: number;
  forfeited: number;
}

/**
 * Takes back what a purchase granted, per credit kind: all of it, or for a partial refund the
 * refunded `share` of it (cumulative, rounded down, less what earlier partial reversals took).
 * What is left unheld is taken first, then what expired unused is forfeited (never owed), and
 * only the rest becomes debt (docs/architecture.md §2).
 */
export function planReversal(
  purchaseBuckets: ReadonlyArray<BucketSpec & { remaining: number; held: number; expired: number }>,
  options: {
    share?: number;
    reversedSoFar?: (kind: string) => { amount: number; forfeited: number };
  } = {},
): ReversalPlan[] {
  const share = Math.min(1, Math.max(0, options.share ?? 1));
  const kinds = new Map<string, typeof purchaseBuckets>();
  for (const bucket of purchaseBuckets)
    kinds.set(bucket.kind, [...(kinds.get(bucket.kind) ?? []), bucket]);
  const plans: ReversalPlan[] = [];
  for (const [kind, buckets] of kinds) {
    const granted = buckets.reduce((t, b) => t + b.amount, 0);
    const expired = buckets.reduce((t, b) => t + b.expired, 0);
    const so = options.reversedSoFar?.(kind) ?? { amount: 0, forfeited: 0 };
    const target = share >= 1 ? granted : Math.floor(granted * share);
    const want = target - so.amount;
    if (want <= 0) continue;
    const plan: ReversalPlan = { kind, amount: want, splits: [], shortfall: 0, forfeited: 0 };
    let left = want;
    for (const bucket of buckets) {
      const take = Math.min(left, Math.max(0, bucket.remaining - bucket.held));
      if (take > 0) plan.splits.push({ bucketId: bucket.bucketId, amount: take });
      left -= take;
    }
    plan.forfeited = Math.min(left, expired - so.forfeited);
    plan.shortfall = left - plan.forfeited;
    plans.push(plan);
  }
  return plans;
}
