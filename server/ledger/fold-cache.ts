import type { WalletFold } from '../../shared/wallet/fold';

/**
 * The folded wallets of the accounts used most recently (docs/architecture.md §9): at most
 * `capacity` of them, and at most `maxWeight` rows (`WalletFold.weight`: buckets, holds,
 * payments… kept in memory) in all. An account left out is loaded again from its snapshot when
 * next used, so the cache bounds memory without changing any answer.
 */
export class FoldCache {
  // A Map iterates in insertion order: the first key is the least recently used.
  private readonly folds = new Map<string, { fold: WalletFold; weight: number }>();
  private totalWeight = 0;

  constructor(
    readonly capacity: number,
    readonly maxWeight = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`fold cache capacity must be a positive integer, not ${capacity}`);
    if (!(maxWeight >= 1))
      throw new Error(`fold cache weight must be at least 1, not ${maxWeight}`);
  }

  get size(): number {
    return this.folds.size;
  }

  /** The rows the cached folds hold, as weighed when each was put. */
  get weight(): number {
    return this.totalWeight;
  }

  /** The cached fold, now the most recently used. */
  get(accountId: string): WalletFold | undefined {
    const slot = this.folds.get(accountId);
    if (slot) {
      this.folds.delete(accountId);
      this.folds.set(accountId, slot);
    }
    return slot?.fold;
  }

  put(accountId: string, fold: WalletFold): void {
    this.delete(accountId);
    const weight = fold.weight;
    this.folds.set(accountId, { fold, weight });
    this.totalWeight += weight;
    // The fold just put stays even if it alone is over the budget: it is in use.
    while (
      this.folds.size > 1 &&
      (this.folds.size > this.capacity || this.totalWeight > this.maxWeight)
    ) {
      const oldest = this.folds.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  delete(accountId: string): void {
    const slot = this.folds.get(accountId);
    if (!slot) return;
    this.folds.delete(accountId);
    this.totalWeight -= slot.weight;
  }
}
