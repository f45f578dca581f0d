import { randomUUID } from 'node:crypto';
import { Mutation, PushResponse } from '../../shared/api/ledger';
import { EaselError } from '../../shared/ipc/contract';
import type { Logger } from '../../shared/log/logger';
import type { HttpClient } from '../clients/http';
import { noSteps, type StepHook } from '../core/steps';
import { OutboxMeta, recordKey } from '../offline/device-records';
import type { JournalStore, StoreTx } from '../storage/journal-store';
import { parseRecord } from '../storage/records';
import { backoffDelay } from './backoff';

export type MutationOp = Mutation['op'];
export type MutationResult = PushResponse['results'][number];

export interface OutboxOptions {
  http: HttpClient;
  /** Main's device state (docs/architecture.md §10): the queue lives there, record by record. */
  store: JournalStore;
  deviceId: string;
  /**
   * Told about each acknowledged mutation (applied, replayed or rejected) inside the same
   * transaction that removes it from the queue, so a verdict and its removal are one commit.
   */
  onResult: (tx: StoreTx, mutation: Mutation, result: MutationResult) => void;
  /** After the verdicts of a send are committed. */
  onResultsCommitted?: () => Promise<void> | void;
  onChange?: () => void;
  onStep?: StepHook;
  log: Logger;
  retry?: { baseMs?: number; maxMs?: number; random?: () => number };
}

/**
 * The device's mutation queue (docs/architecture.md §4). Each mutation gets the next sequential
 * id and an operation id and is committed to the device state before any attempt to send it
 * — in the same commit as whatever it sends (a signed voucher). It leaves the queue only when
 * the server acknowledges it. Sending retries with back-off and jitter.
 */
export class Outbox {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closed = false;

  constructor(private readonly options: OutboxOptions) {}

  get pendingCount(): number {
    return this.options.store.keys(recordKey.outboxEntries(this.options.deviceId)).length;
  }

  /** The queue in order (its first `limit` mutations). */
  pending(tx?: StoreTx, limit = Number.POSITIVE_INFINITY): Mutation[] {
    const source = tx ?? this.options.store;
    return source
      .keys(recordKey.outboxEntries(this.options.deviceId))
      .slice(0, limit)
      .map((key) => parseRecord(Mutation, source.get(key), key));
  }

  /** Adds a mutation to the caller's transaction: it is queued if and only if that commits. */
  stage(tx: StoreTx, op: MutationOp, operationId: string): Mutation {
    const metaKey = recordKey.outboxMeta(this.options.deviceId);
    const meta = tx.get(metaKey);
    const nextSeq = meta === undefined ? 1 : parseRecord(OutboxMeta, meta, metaKey).nextSeq;
    const mutation: Mutation = { mutationSeq: nextSeq, operationId, op };
    tx.put(recordKey.outboxEntry(this.options.deviceId, nextSeq), mutation);
    tx.put(metaKey, { nextSeq: nextSeq + 1 });
    return mutation;
  }

  /**
   * After a salvaged store (docs/architecture.md §10): numbers new mutations after everything
   * the server has seen from this device, so none is answered with another one's result.
   */
  raiseFloor(tx: StoreTx, serverLastSeq: number): void {
    const metaKey = recordKey.outboxMeta(this.options.deviceId);
    const meta = tx.get(metaKey);
    const nextSeq = meta === undefined ? 1 : parseRecord(OutboxMeta, meta, metaKey).nextSeq;
    if (nextSeq <= serverLastSeq) tx.put(metaKey, { nextSeq: serverLastSeq + 1 });
  }

  /** Commits a mutation on its own, then tries to send the queue. */
  async enqueue(op: MutationOp, operationId: string = `mut-${randomUUID()}`): Promise<Mutation> {
    const mutation = await this.options.store.transaction((tx) => this.stage(tx, op, operationId));
    this.options.onChange?.();
    this.kick();
    return mutation;
  }

  /** One attempt to send what is pending. Throws when the server could not be reached. */
  async flush(): Promise<void> {
    const step = this.options.onStep ?? noSteps;
    await this.serial(async () => {
      const batch = this.pending(undefined, 200);
      if (batch.length === 0) return;
      await step('send:before');
      const res = await this.options.http.json('POST', '/v1/sync/mutations', {
        schema: PushResponse,
        body: { deviceId: this.options.deviceId, mutations: batch },
      });
      await step('send:answered');
      await this.options.store.transaction((tx) => {
        for (const result of res.results) {
          if (result.status === 'skipped') continue;
          const m = batch.find((b) => b.mutationSeq === result.mutationSeq);
          const key = m && recordKey.outboxEntry(this.options.deviceId, m.mutationSeq);
          if (!m || !key || tx.get(key) === undefined) continue;
          this.options.onResult(tx, m, result);
          tx.delete(key);
        }
      });
      await this.options.onResultsCommitted?.();
      await step('send:recorded');
    });
    this.options.onChange?.();
  }

  /** Sends now, and keeps retrying with back-off until the queue is empty. */
  kick(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush()
      .then(() => {
        this.attempt = 0;
        if (this.pendingCount > 0) this.schedule();
      })
      .catch((error: unknown) => {
        if (error instanceof EaselError && error.code === 'not-signed-in') return;
        if (!(
          error instanceof EaselError &&
          (error.code === 'offline' || error.code === 'timeout')
        ))
          this.options.log.warn({ err: error }, 'sending the outbox failed; retrying');
        this.attempt++;
        this.schedule();
      });
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.kick();
      },
      backoffDelay(this.attempt, this.options.retry),
    );
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Waits for queued work (tests). */
  async idle(): Promise<void> {
    // A failed send is already reported by kick(); idle only waits for it to finish.
    await this.chain.catch(() => undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    // The caller of serial() gets the failure; the chain only orders the next run after it.
    this.chain = run.catch(() => undefined);
    return run;
  }
}
