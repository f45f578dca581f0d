import { FoldHistoryNeeded, WalletFold } from '../../shared/wallet/fold';
import type { Logger } from '../../shared/log/logger';
import type { Sql } from '../db/database';
import { FoldCache } from './fold-cache';
import { ledgerStore, pruneAt } from './ledger-store';
import { type SnapshotOrigin, snapshotStore } from './snapshot-store';

export interface FoldLoaderConfig {
  foldCacheSize: number;
  foldCacheWeight: number;
  pruneAfterMs: number;
  snapshotEvery: number;
}

type Head = { seq: number; hash: string };

/**
 * Where the ledger's folded wallets come from (docs/architecture.md §9): the cache when it holds
 * the account, else the core of the account's snapshot plus the entries after it, else the whole
 * chain. The snapshot's history (resolved holds, payments) is read only when something needs it.
 * A snapshot that does not match the chain is refused, reported, and the whole chain folded.
 */
export class FoldLoader {
  private readonly cache: FoldCache;
  /** The snapshot each fold was restored from or last stored as (none: folded from seq 1). */
  private readonly origins = new WeakMap<WalletFold, SnapshotOrigin>();
  /** A fold made whole by loading it again: what is cached in its place at `checkIn`. */
  private readonly replaced = new WeakMap<WalletFold, WalletFold>();
  /** Accounts whose next `checkOut` must give a whole fold (a write needed the history). */
  private readonly wantWhole = new Set<string>();
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
  async checkOut(tx: Sql, accountId: string, head: Head): Promise<WalletFold> {
    const whole = this.wantWhole.delete(accountId);
    const cached = this.cache.get(accountId);
    this.cache.delete(accountId);
    const fold =
      cached && cached.lastSeq <= head.seq
        ? await this.catchUp(tx, accountId, cached, head)
        : await this.load(tx, accountId, head, whole);
    return whole ? this.makeWhole(tx, accountId, fold, head) : fold;
  }

  /**
   * The next `checkOut` of the account gives a fold with its history: a write met
   * `FoldHistoryNeeded` and runs again.
   */
  loadWhole(accountId: string): void {
    this.wantWhole.add(accountId);
  }

  checkIn(accountId: string, fold: WalletFold): void {
    this.cache.put(accountId, this.replaced.get(fold) ?? fold);
  }

  /** Forgets the account's fold (it may hold entries that were rolled back). */
  discard(accountId: string): void {
    this.cache.delete(accountId);
  }

  /**
   * Inside the write's transaction, after its entries: once the chain has grown
   * `snapshotEvery` entries past the last snapshot, prunes the fold and stores it as the new one
   * (with its history, loaded first if the fold was restored without it).
   */
  async afterWrite(
    tx: Sql,
    accountId: string,
    fold: WalletFold,
    hash: string,
    now: string,
  ): Promise<void> {
    if (fold.lastSeq - (this.origins.get(fold)?.seq ?? 0) < this.config.snapshotEvery) return;
    const whole = await this.makeWhole(tx, accountId, fold, { seq: fold.lastSeq, hash });
    if (whole !== fold) this.replaced.set(fold, whole);
    pruneAt(whole, now, this.config.pruneAfterMs);
    this.origins.set(whole, await snapshotStore.save(tx, accountId, whole, hash, now));
  }

  /** The snapshot's core (or all of it) and the entries after it; else the whole chain. */
  private async load(
    tx: Sql,
    accountId: string,
    head: Head,
    withHistory: boolean,
  ): Promise<WalletFold> {
    const loaded = await snapshotStore.load(tx, accountId, head.seq, withHistory);
    if (loaded.kind === 'loaded') {
      this.origins.set(loaded.fold, loaded.origin);
      try {
        return await this.catchUp(tx, accountId, loaded.fold, head, loaded.hash);
      } catch (error) {
        this.report(accountId, loaded.origin.seq, `its tail does not fold: ${String(error)}`);
      }
    } else if (loaded.kind === 'refused') this.report(accountId, loaded.seq, loaded.reason);
    return this.foldChain(tx, accountId, head);
  }

  private async foldChain(tx: Sql, accountId: string, head: Head): Promise<WalletFold> {
    const fold = new WalletFold();
    await ledgerStore.catchUp(tx, accountId, fold, head, this.catchUpOptions());
    return fold;
  }

  /**
   * Folds the entries up to `head` onto `fold`. An entry that needs the history the fold was
   * restored without gets it (the fold is unchanged by the entry that threw) and folding goes on.
   */
  private async catchUp(
    tx: Sql,
    accountId: string,
    fold: WalletFold,
    head: Head,
    anchorHash?: string,
  ): Promise<WalletFold> {
    try {
      await ledgerStore.catchUp(tx, accountId, fold, head, {
        ...this.catchUpOptions(),
        anchorHash,
      });
      return fold;
    } catch (error) {
      if (!(error instanceof FoldHistoryNeeded)) throw error;
    }
    const whole = await this.makeWhole(tx, accountId, fold, head);
    if (whole === fold) await ledgerStore.catchUp(tx, accountId, fold, head, this.catchUpOptions());
    return whole;
  }

  /**
   * `fold` with its history: the history of the snapshot it came from, attached, or, when that
   * snapshot was replaced meanwhile or is refused, the account loaded again whole up to `head`.
   */
  private async makeWhole(
    tx: Sql,
    accountId: string,
    fold: WalletFold,
    head: Head,
  ): Promise<WalletFold> {
    if (fold.complete) return fold;
    const origin = this.origins.get(fold);
    const found = origin
      ? await snapshotStore.loadHistory(tx, accountId, origin)
      : ({ kind: 'gone' } as const);
    if (found.kind === 'gone') return this.load(tx, accountId, head, true);
    if (found.kind === 'loaded') {
      try {
        fold.attachHistory(found.history);
        return fold;
      } catch (error) {
        this.report(accountId, found.seq, `its history does not fit: ${String(error)}`);
      }
    } else this.report(accountId, found.seq, found.reason);
    return this.foldChain(tx, accountId, head);
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
