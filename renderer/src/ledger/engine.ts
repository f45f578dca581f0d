import type { WireEntry } from '../../../shared/ledger/entry';
import type { WalletState } from '../../../shared/wallet/types';
import type { EaselDb } from '../db/db';
import { LedgerCore, type LoadInput, type LoadResult, type Verification } from './core';

/** The ledger engine the stores talk to: a Web Worker in the app, in-thread in tests. */
export interface LedgerEngine {
  load(input: LoadInput): Promise<LoadResult>;
  append(
    entries: WireEntry[],
    now: string,
  ): Promise<{ state: WalletState; error: Verification | null }>;
  view(now: string): Promise<WalletState>;
  close(): void;
}

export function inThreadEngine(db: EaselDb): LedgerEngine {
  const core = new LedgerCore(db);
  return {
    load: (input) => core.load(input),
    append: async (entries, now) => core.append(entries, now),
    view: async (now) => core.view(now),
    close: () => undefined,
  };
}
