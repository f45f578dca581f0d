import type { PublicKeyInfo, SignedCheckpoint } from '../../../shared/ledger/checkpoint';
import type { WireEntry } from '../../../shared/ledger/entry';

/** What the bench serves the store page: verified batches exactly as main hands them over. */
export interface StoreInput {
  accountId: string;
  keys: PublicKeyInfo[];
  batches: Array<{ entries: WireEntry[]; checkpoint: SignedCheckpoint }>;
}

export interface StoreResult {
  /** Wall time of the whole store loop, ms. */
  ms: number;
  entries: number;
  /** Rows in the entries table afterwards (must equal `entries`). */
  stored: number;
  cursorSeq: number;
  slowestBatchMs: number;
  medianBatchMs: number;
  /** Main-thread long tasks (ms) seen while storing. */
  longTasks: number[];
}

/** `window.easelBench` on the store page. */
export interface StorePageApi {
  load(url: string): Promise<number>;
  run(): Promise<StoreResult>;
}
