import type { BucketView, KindBalance, WalletState } from '../../../shared/wallet/types';

/** What is persisted of the wallet for an instant cold start (no Maps: plain data). */
export interface WalletSnapshot {
  accountId: string | null;
  seq: number;
  /**
   * The hash of entry `seq` the snapshot was folded from: until the chain up to it is verified
   * the snapshot is only shown as "checking…" (docs/architecture.md §3). Absent in old caches.
   */
  head?: string;
  now: string;
  balances: Record<string, KindBalance>;
  buckets: BucketView[];
}

export const snapshotOf = (state: WalletState, head?: string): WalletSnapshot => ({
  accountId: state.accountId,
  seq: state.seq,
  ...(head === undefined ? {} : { head }),
  now: state.now,
  balances: state.balances,
  buckets: state.buckets,
});
