import type { BucketView, KindBalance, WalletState } from '../../../shared/wallet/types';

/** What is persisted of the wallet for an instant cold start (no Maps: plain data). */
export interface WalletSnapshot {
  accountId: string | null;
  seq: number;
  now: string;
  balances: Record<string, KindBalance>;
  buckets: BucketView[];
}

export const snapshotOf = (state: WalletState): WalletSnapshot => ({
  accountId: state.accountId,
  seq: state.seq,
  now: state.now,
  balances: state.balances,
  buckets: state.buckets,
});
