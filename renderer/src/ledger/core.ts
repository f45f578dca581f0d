import { parseEntry, GENESIS } from '../../../shared/ledger/chain';
import type { WireEntry } from '../../../shared/ledger/entry';
import { verifyChain, type ChainVerdict } from '../../../shared/ledger/verify';
import { WalletFold } from '../../../shared/wallet/fold';
import type { WalletState } from '../../../shared/wallet/types';
import type { EaselDb } from '../db/db';
import { readRows } from '../db/entry-pages';

export type Verification =
  { ok: true; seq: number } | { ok: false; reason: string; seq: number | null; message: string };

export interface LoadResult {
  verification: Verification;
  state: WalletState;
  entries: number;
  ms: number;
}

const CHUNK = 5000;

/**
 * The ledger as the app holds it: the stored chain re-verified against its stored checkpoint,
 * and an incremental WalletFold. Runs in a Web Worker in the app, in-thread in tests.
 */
export class LedgerCore {
  private fold = new WalletFold();
  private broken = false;

  constructor(private readonly db: EaselDb) {}

  async load(now: string): Promise<LoadResult> {
    const started = performance.now();
    this.fold = new WalletFold();
    this.broken = false;
    const cursor = await this.db.cursor.get('head');
    const count = cursor ? cursor.seq : 0;
    if (!cursor || !cursor.checkpoint || count === 0) {
      return { verification: { ok: true, seq: 0 }, state: this.fold.view(now), entries: 0, ms: 0 };
    }
    const wires: WireEntry[] = [];
    for (let lo = 1; lo <= count; lo += CHUNK) {
      const rows = await readRows(this.db, lo, Math.min(count, lo + CHUNK - 1));
      for (const r of rows) wires.push({ seq: r.seq, hash: r.hash, body: r.body });
    }
    const verdict: ChainVerdict = verifyChain(wires, cursor.checkpoint, cursor.keys, {
      accountId: cursor.accountId,
      from: GENESIS,
    });
    let verification: Verification = verdict.ok
      ? { ok: true, seq: verdict.head.seq }
      : { ok: false, reason: verdict.reason, seq: verdict.seq, message: verdict.message };
    const stop = verdict.ok ? wires.length : Math.max(0, (verdict.seq ?? 1) - 1);
    const folded = this.applyAll(wires.slice(0, stop));
    if (!folded.ok) verification = folded;
    if (!verification.ok) this.broken = true;
    return {
      verification,
      state: this.fold.view(now),
      entries: wires.length,
      ms: performance.now() - started,
    };
  }

  /** Applies entries main has already verified and the renderer has stored. */
  append(
    entries: readonly WireEntry[],
    now: string,
  ): { state: WalletState; error: Verification | null } {
    // A fold that refused an entry is not built on (docs/architecture.md §3): load() again.
    if (this.broken)
      return {
        state: this.fold.view(now),
        error: {
          ok: false,
          reason: 'invalid-entry',
          seq: this.fold.lastSeq + 1,
          message: 'the ledger refused an earlier entry; it is re-verified when the app reloads it',
        },
      };
    const start = this.fold.lastSeq;
    const fresh = entries.filter((e) => e.seq > start);
    const result = this.applyAll(fresh);
    return { state: this.fold.view(now), error: result.ok ? null : result };
  }

  view(now: string): WalletState {
    return this.fold.view(now);
  }

  get isBroken(): boolean {
    return this.broken;
  }

  private applyAll(wires: readonly WireEntry[]): Verification {
    for (const w of wires) {
      try {
        this.fold.apply(parseEntry(w).data);
      } catch (error) {
        this.broken = true;
        return {
          ok: false,
          reason: 'invalid-entry',
          seq: w.seq,
          message: error instanceof Error ? error.message : String(error),
        };
      }
    }
    return { ok: true, seq: this.fold.lastSeq };
  }
}
