import { parseEntry, type ChainHead } from '../../../shared/ledger/chain';
import type { PublicKeyInfo, SignedCheckpoint } from '../../../shared/ledger/checkpoint';
import type { WireEntry } from '../../../shared/ledger/entry';
import { WalletFold } from '../../../shared/wallet/fold';
import type { WalletState } from '../../../shared/wallet/types';
import type { EaselDb } from '../db/db';
import { readRows } from '../db/entry-pages';
import { proveChain } from './proof';
import { checkSnapshot, type SnapshotCheck } from './snapshot-check';

export type Verification =
  { ok: true; seq: number } | { ok: false; reason: string; seq: number | null; message: string };

export interface LoadInput {
  now: string;
  /** The signed-in account: the cache's own record of it is not trusted. */
  accountId: string;
  /** Main's key ring (docs/architecture.md §3), never keys read from the cache under test. */
  keys: PublicKeyInfo[];
}

export interface LoadResult {
  verification: Verification;
  /** The last head a verified checkpoint signs: the state below is folded up to it, no further. */
  proven: ChainHead & { checkpoint: SignedCheckpoint | null };
  state: WalletState;
  /** What the stored wallet snapshot turned out to be against the proven chain. */
  snapshot: SnapshotCheck;
  entries: number;
  ms: number;
}

const CHUNK = 5000;

/**
 * The ledger as the app holds it (docs/architecture.md §3): the stored chain re-verified
 * against the stored checkpoints with main's keys, and an incremental WalletFold of the proven
 * part only. Runs in a Web Worker in the app, in-thread in tests.
 */
export class LedgerCore {
  private fold = new WalletFold();
  private broken = false;

  constructor(private readonly db: EaselDb) {}

  async load(input: LoadInput): Promise<LoadResult> {
    const started = performance.now();
    this.fold = new WalletFold();
    this.broken = false;
    const [cursor, stored, snapshot] = await Promise.all([
      this.db.cursor.get('head'),
      this.db.checkpoints.toArray(),
      this.db.snapshots.get('wallet'),
    ]);
    // Caches written before checkpoints were kept per batch have only the cursor's.
    const checkpoints = cursor?.checkpoint ? [...stored, cursor.checkpoint] : stored;
    const last = Math.max(
      cursor?.seq ?? 0,
      ...checkpoints.map((c) => c.checkpoint.seq),
      await this.lastStoredSeq(),
    );
    const wires: WireEntry[] = [];
    for (let lo = 1; lo <= last; lo += CHUNK) {
      const rows = await readRows(this.db, lo, Math.min(last, lo + CHUNK - 1));
      for (const r of rows) wires.push({ seq: r.seq, hash: r.hash, body: r.body });
    }
    const proof = proveChain(wires, checkpoints, input.keys, input.accountId);
    let verification: Verification = proof.failure
      ? { ok: false, ...proof.failure }
      : { ok: true, seq: proof.head.seq };
    const proven = wires.slice(0, proof.head.seq);
    const snapshotAt = snapshot && snapshot.seq <= proof.head.seq ? snapshot.seq : -1;
    let snapshotView: WalletState | null = null;
    const folded = this.applyAll(proven, (seq) => {
      if (seq === snapshotAt && snapshot) snapshotView = this.fold.view(snapshot.now);
    });
    if (snapshotAt === 0 && snapshot) snapshotView = new WalletFold().view(snapshot.now);
    if (!folded.ok) {
      verification = folded;
      // Not kept after an error: the fold is rebuilt from the entries before the bad one.
      this.fold = new WalletFold();
      this.applyAll(proven.slice(0, Math.max(0, (folded.seq ?? 1) - 1)));
    }
    if (!verification.ok) this.broken = true;
    const headHash = (seq: number): string | null =>
      seq === 0 ? proof.head.hash : (proven[seq - 1]?.hash ?? null);
    return {
      verification,
      proven: { ...proof.head, checkpoint: proof.checkpoint },
      state: this.fold.view(input.now),
      snapshot: checkSnapshot(snapshot ?? null, proof.head.seq, headHash, snapshotView),
      entries: wires.length,
      ms: performance.now() - started,
    };
  }

  /** Applies entries main has already verified and the renderer has stored. */
  append(
    entries: readonly WireEntry[],
    now: string,
  ): { state: WalletState; error: Verification | null } {
    if (this.broken) {
      const error: Verification = {
        ok: false,
        reason: 'not-loaded',
        seq: this.fold.lastSeq + 1,
        message: 'the stored ledger must be verified again before entries are added',
      };
      return { state: this.fold.view(now), error };
    }
    const start = this.fold.lastSeq;
    const fresh = entries.filter((e) => e.seq > start);
    const result = this.applyAll(fresh);
    if (!result.ok) this.broken = true;
    return { state: this.fold.view(now), error: result.ok ? null : result };
  }

  view(now: string): WalletState {
    return this.fold.view(now);
  }

  get isBroken(): boolean {
    return this.broken;
  }

  private async lastStoredSeq(): Promise<number> {
    const newest = await this.db.pages.orderBy('page').last();
    return newest?.rows.at(-1)?.seq ?? 0;
  }

  private applyAll(wires: readonly WireEntry[], after?: (seq: number) => void): Verification {
    for (const w of wires) {
      try {
        this.fold.apply(parseEntry(w).data);
      } catch (error) {
        return {
          ok: false,
          reason: 'invalid-entry',
          seq: w.seq,
          message: error instanceof Error ? error.message : String(error),
        };
      }
      after?.(w.seq);
    }
    return { ok: true, seq: this.fold.lastSeq };
  }
}
