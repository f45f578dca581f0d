import { WalletFold } from '../../shared/wallet/fold';
import type { Logger } from '../../shared/log/logger';
import type { Sql } from '../db/database';
import { FoldCache } from './fold-cache';
import { ledgerStore, pruneAt } from './ledger-store';
import { snapshotStore } from './snapshot-store';

export interface FoldLoaderConfig {
  foldCacheSize: number;
  foldCacheWeight: number;
  pruneAfterMs: number;
  snapshotEvery: number;
}

/**
 * Where the ledger's folded wallets come from (docs/architecture.md §9): the cache when it holds
 * the account, else the account's snapshot plus the entries after it, else the whole chain.
 * A snapshot that does not match the chain is refused, reported, and the whole chain folded.
 */
export class FoldLoader {
  private readonly cache: FoldCache;
  /** The seq of the newest snapshot each fold is known to have in the database. */
  private readonly snapshotSeq = new WeakMap<WalletFold, number>();
  private refused = 0;

  constructor(
    private readonly config: FoldLoaderConfig,
    private readonly log: Logger,
  ) {
    this.cache = new FoldCache(config.foldCacheSize, config.foldCacheWeight);
  }

  get cachedFolds(): number {
    return this.cache.size;
  }

  get cachedWeight(): number {
    return this.cache.weight;
  }

  /** Snapshots refused since start (each also logged as a `snapshot-refused` incident). */
  get snapshotsRefused(): number {
    return this.refused;
  }

  /**
   * The account's fold brought up to `head`, taken out of the cache: give it back with
   * `checkIn` once what it saw is committed.
   */
  async checkOut(tx: Sql, accountId: string, head: { seq: number; hash: string }) {
    let fold = this.cache.get(accountId);
    this.cache.delete(accountId);
    if (fold && fold.lastSeq <= head.seq) {
      await ledgerStore.catchUp(tx, accountId, fold, head, this.catchUpOptions());
      return fold;
    }
    const loaded = await snapshotStore.load(tx, accountId, head.seq);
    if (loaded.kind === 'loaded') {
      fold = loaded.fold;
      try {
        await ledgerStore.catchUp(tx, accountId, fold, head, {
          ...this.catchUpOptions(),
          anchorHash: loaded.hash,
        });
        this.snapshotSeq.set(fold, loaded.fold.lastSeq);
        return fold;
      } catch (error) {
        this.report(accountId, loaded.fold.lastSeq, `its tail does not fold: ${String(error)}`);
      }
    } else if (loaded.kind === 'refused') this.report(accountId, loaded.seq, loaded.reason);
    fold = new WalletFold();
    await ledgerStore.catchUp(tx, accountId, fold, head, this.catchUpOptions());
    this.snapshotSeq.set(fold, 0);
    return fold;
  }

  checkIn(accountId: string, fold: WalletFold): void {
    this.cache.put(accountId, fold);
  }

  /** Forgets the account's fold (it may hold entries that were rolled back). */
  discard(accountId: string): void {
    this.cache.delete(accountId);
  }

  /**
   * Inside the write's transaction, after its entries: once the chain has grown
   * `snapshotEvery` entries past the last snapshot, prunes the fold and stores it as the new one.
   */
  async afterWrite(
    tx: Sql,
    accountId: string,
    fold: WalletFold,
    hash: string,
    now: string,
  ): Promise<void> {
    if (fold.lastSeq - (this.snapshotSeq.get(fold) ?? 0) < this.config.snapshotEvery) return;
    pruneAt(fold, now, this.config.pruneAfterMs);
    await snapshotStore.save(tx, accountId, fold, hash, now);
    this.snapshotSeq.set(fold, fold.lastSeq);
  }

  private catchUpOptions() {
    return { pruneAfterMs: this.config.pruneAfterMs };
  }

  private report(accountId: string, seq: number, reason: string): void {
    this.refused++;
    this.log.warn(
      { accountId, seq, reason, incident: 'snapshot-refused' },
      'ledger snapshot refused: folding the whole chain instead',
    );
  }
}
