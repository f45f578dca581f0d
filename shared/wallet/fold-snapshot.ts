import type { Split } from '../ledger/entry';
import type { BucketRow, HoldRow, ReserveRow } from './fold';

/** A payment as JSON: its refunds per bucket as pairs. */
export interface PaymentJson {
  kind: string;
  splits: Split[];
  refunded: Array<[string, number]>;
  refundedTotal: number;
  at?: string;
}

export type HoldJson = Omit<HoldRow, 'payment'> & { payment: PaymentJson | null };

/**
 * The core of a fold as JSON (docs/architecture.md §9): what decides the next write. What the
 * server stores as an account's snapshot, with its history (`FoldHistory`) stored beside it.
 */
export interface FoldSnapshot {
  v: 2;
  accountId: string | null;
  seq: number;
  lastAt: string;
  kinds: string[];
  buckets: BucketRow[];
  openHolds: HoldJson[];
  /** The resolved holds the history holds, so a new hold cannot reuse their ids unseen. */
  historyHoldIds: string[];
  reserves: Array<
    Omit<ReserveRow, 'earmarks' | 'counters'> & {
      earmarks: Array<[string, number]>;
      counters: Array<[number, string]>;
    }
  >;
  debt: Array<[string, number]>;
  purchases: Array<[string, string[]]>;
  refundedItems: string[];
  reversedPurchases: string[];
  partlyReversed: Array<[string, { amount: number; forfeited: number }]>;
}

/** The rest of a fold: resolved holds and what payments paid, read only on demand. */
export interface FoldHistory {
  holds: HoldJson[];
  payments: Array<[string, PaymentJson]>;
}
