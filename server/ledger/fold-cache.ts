import type { WalletFold } from '../../shared/wallet/fold';

/**
 * The folded wallets of the accounts used most recently, at most `capacity` of them
 * (docs/architecture.md §9): an account left out is folded again from the database when next
 * used, so the cache bounds memory without changing any answer.
 */
export class FoldCache {
  // A Map iterates in insertion order: the first key is the least recently used.
  private readonly folds = new Map<string, WalletFold>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`fold cache capacity must be a positive integer, not ${capacity}`);
  }

  get size(): number {
    return this.folds.size;
  }

  /** The cached fold, now the most recently used. */
  get(accountId: string): WalletFold | undefined {
    const fold = this.folds.get(accountId);
    if (fold) {
      this.folds.delete(accountId);
      this.folds.set(accountId, fold);
    }
    return fold;
  }

  put(accountId: string, fold: WalletFold): void {
    this.folds.delete(accountId);
    this.folds.set(accountId, fold);
    while (this.folds.size > this.capacity) {
      const oldest = this.folds.keys().next().value;
      if (oldest === undefined) break;
      this.folds.delete(oldest);
    }
  }

  delete(accountId: string): void {
    this.folds.delete(accountId);
  }
}
