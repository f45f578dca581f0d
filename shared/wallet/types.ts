import type { BucketSource, Purpose, Split } from '../ledger/entry';

export interface BucketView {
  bucketId: string;
  kind: string;
  source: BucketSource;
  amount: number;
  costBasisCents: number;
  effectiveAt: string;
  expiresAt: string | null;
  priority: number;
  createdSeq: number;
  /** Not yet spent or expired (includes what open holds earmark). */
  remaining: number;
  /** Earmarked by open holds and reserves. */
  held: number;
  /** Spendable now: remaining − held while the bucket is live, else 0. */
  free: number;
  live: boolean;
}

export interface HoldView {
  holdId: string;
  kind: string;
  amount: number;
  splits: Split[];
  expiresAt: string;
  purpose: Purpose;
  seq: number;
  operationId: string;
  status: 'open' | 'captured' | 'released';
  captured: number;
}

export interface ReserveView {
  allowanceId: string;
  deviceId: string;
  devicePublicKey: string;
  kind: string;
  amount: number;
  settled: number;
  /** Per bucket, what the reserve still earmarks. */
  earmarks: Split[];
  expiresAt: string;
  status: 'open' | 'closed';
  counters: Map<number, string>;
}

export interface KindBalance {
  /** Credits owned: live remaining plus what live holds keep from expired buckets, minus debt. */
  balance: number;
  held: number;
  reserved: number;
  /** balance − held − reserved: what a new hold or spend may take. */
  available: number;
  debt: number;
}

/** The wallet at one instant: what is live. History lookups are methods of WalletFold. */
export interface WalletState {
  accountId: string | null;
  seq: number;
  now: string;
  balances: Record<string, KindBalance>;
  /** Buckets that still have credits (remaining > 0), live or kept by a hold. */
  buckets: BucketView[];
  openHolds: Map<string, HoldView>;
  openReserves: Map<string, ReserveView>;
}

export interface PaymentView {
  kind: string;
  splits: Split[];
  refunded: ReadonlyMap<string, number>;
  refundedTotal: number;
}
