import type { Split } from '../ledger/entry';
import type { BucketView } from './types';

export class InsufficientCreditsError extends Error {
  constructor(
    readonly kind: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super(`not enough ${kind} credits: ${requested} needed, ${available} available`);
    this.name = 'InsufficientCreditsError';
  }
}

const NEVER = '9999-12-31T23:59:59.999Z';

/**
 * The spending order of docs/architecture.md §2: lower priority number first, then soonest expiry,
 * then free before paid, then oldest. Ties end on the bucket id so the order is total.
 */
export function compareSpendingOrder(a: BucketView, b: BucketView): number {
  return (
    a.priority - b.priority ||
    cmp(a.expiresAt ?? NEVER, b.expiresAt ?? NEVER) ||
    Number(a.costBasisCents > 0) - Number(b.costBasisCents > 0) ||
    cmp(a.effectiveAt, b.effectiveAt) ||
    a.createdSeq - b.createdSeq ||
    cmp(a.bucketId, b.bucketId)
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Splits `amount` over the live buckets of `kind` in spending order, or throws. */
export function allocate(buckets: readonly BucketView[], kind: string, amount: number): Split[] {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new RangeError(`amount must be a positive integer, got ${amount}`);
  }
  const candidates = buckets
    .filter((b) => b.kind === kind && b.free > 0)
    .sort(compareSpendingOrder);
  const splits: Split[] = [];
  let left = amount;
  for (const bucket of candidates) {
    if (left === 0) break;
    const take = Math.min(left, bucket.free);
    splits.push({ bucketId: bucket.bucketId, amount: take });
    left -= take;
  }
  if (left > 0) throw new InsufficientCreditsError(kind, amount, amount - left);
  return splits;
}
