import { z } from 'zod';
import { PullResponse } from '../../shared/api/ledger';
import { EaselError } from '../../shared/ipc/contract';
import type { SyncState, VerifiedBatch } from '../../shared/ipc/types';
import type { ChainHead } from '../../shared/ledger/chain';
import { GENESIS } from '../../shared/ledger/chain';
import { verifyChain } from '../../shared/ledger/verify';
import type { HttpClient } from '../clients/http';
import { easelError } from '../core/errors';
import type { EventHub } from '../core/events';
import { nodeChainDigest } from './digest';
import type { KeyRing } from './key-ring';
import type { SyncTracker } from './sync-tracker';

const HeadOnly = z.object({ seq: z.int() });
const REMEMBERED_HEADS = 64;

/**
 * Pull and verify (docs/architecture.md §3 and §4). The renderer asks for the batch after its stored
 * head; main fetches it, checks the checkpoint signature and that the chain extends that head,
 * and only then hands it over. A forged, edited, dropped or forked batch is refused, reported
 * (`verificationFailed`), and never reaches the renderer's store.
 */
export class LedgerSync {
  /** Heads main verified and handed out: the renderer may only report one of these as stored. */
  private readonly verifiedHeads = new Map<number, string>();
  private knownHeadSeq = 0;
  private storedSeq = 0;

  constructor(
    private readonly deps: {
      http: HttpClient;
      keys: KeyRing;
      events: EventHub;
      tracker: SyncTracker;
      accountId: () => string | null;
    },
  ) {}

  /** Verification alone, exposed for the benchmark and tests. */
  static async verify(
    batch: z.output<typeof PullResponse>,
    after: ChainHead,
    accountId: string,
    keys: KeyRing,
  ) {
    const keySet = await keys.withKey(batch.checkpoint.checkpoint.keyId);
    return verifyChain(batch.entries, batch.checkpoint, keySet, {
      from: after,
      accountId,
      digest: nodeChainDigest,
    });
  }

  async pullBatch(after: ChainHead, limit = 1000): Promise<VerifiedBatch> {
    const accountId = this.deps.accountId();
    if (!accountId) throw easelError('not-signed-in', 'sign in to sync');
    let batch: z.output<typeof PullResponse>;
    try {
      batch = await this.deps.http.json('GET', '/v1/ledger/entries', {
        schema: PullResponse,
        query: { after: after.seq, limit },
        timeoutMs: 60_000,
      });
    } catch (error) {
      if (error instanceof EaselError && error.code === 'cursor-ahead') {
        // The server's history is shorter than ours: a rollback or another server's chain.
        throw this.refuse('rollback', after.seq, error.message);
      }
      this.reportFailure(error);
      throw error;
    }
    const verdict = await LedgerSync.verify(batch, after, accountId, this.deps.keys);
    if (!verdict.ok) throw this.refuse(verdict.reason, verdict.seq, verdict.message);

    this.remember(verdict.head);
    this.knownHeadSeq = Math.max(this.knownHeadSeq, batch.headSeq);
    if (verdict.head.seq < batch.headSeq) this.deps.tracker.syncing(after.seq, batch.headSeq);
    return { entries: batch.entries, checkpoint: batch.checkpoint, headSeq: batch.headSeq };
  }

  /** The renderer stored a verified batch atomically with its cursor. */
  batchStored(head: ChainHead): SyncState {
    const known = head.seq === 0 ? GENESIS.hash : this.verifiedHeads.get(head.seq);
    if (known !== head.hash) {
      throw easelError('unverified-head', `head ${head.seq} was not verified by this app`);
    }
    this.storedSeq = head.seq;
    if (head.seq >= this.knownHeadSeq) this.deps.tracker.synced();
    else this.deps.tracker.syncing(head.seq, this.knownHeadSeq);
    return this.deps.tracker.state;
  }

  /** Asks the server how far the ledger goes; tells the renderer to pull when it moved on. */
  async checkHead(): Promise<number> {
    const { seq } = await this.deps.http.json('GET', '/v1/ledger/balance', { schema: HeadOnly });
    this.noteHead(seq);
    return seq;
  }

  noteHead(headSeq: number): void {
    this.knownHeadSeq = Math.max(this.knownHeadSeq, headSeq);
    if (headSeq > this.storedSeq) this.deps.events.emit('ledgerChanged', { headSeq });
  }

  /** Signed out or switched account: nothing learned about the old chain applies. */
  reset(): void {
    this.verifiedHeads.clear();
    this.knownHeadSeq = 0;
    this.storedSeq = 0;
  }

  private remember(head: ChainHead): void {
    this.verifiedHeads.set(head.seq, head.hash);
    if (this.verifiedHeads.size > REMEMBERED_HEADS) {
      const oldest = this.verifiedHeads.keys().next();
      if (!oldest.done) this.verifiedHeads.delete(oldest.value);
    }
  }

  private refuse(reason: string, seq: number | null, message: string): EaselError {
    const text = `The ledger from the server failed verification and was not stored: ${message}`;
    this.deps.events.emit('verificationFailed', { reason, seq, message: text });
    this.deps.tracker.failed('verification-failed', text);
    return easelError('verification-failed', text, { reason, seq });
  }

  private reportFailure(error: unknown): void {
    if (error instanceof EaselError && (error.code === 'offline' || error.code === 'timeout')) {
      this.deps.tracker.publish();
      return;
    }
    if (error instanceof EaselError) this.deps.tracker.failed(error.code, error.message);
  }
}
