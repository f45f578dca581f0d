import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Mutation, PushResponse } from '../../shared/api/ledger';
import { EaselError } from '../../shared/ipc/contract';
import type { HttpClient } from '../clients/http';
import { JsonFile } from '../storage/json-file';
import { backoffDelay } from './backoff';

const OutboxFile = z.strictObject({
  deviceId: z.string(),
  nextSeq: z.int().min(1),
  pending: z.array(Mutation),
});

export type MutationOp = Mutation['op'];
export type MutationResult = PushResponse['results'][number];

export interface OutboxOptions {
  http: HttpClient;
  path: string;
  deviceId: string;
  /** Told about each acknowledged mutation (applied, replayed or rejected). */
  onResult: (mutation: Mutation, result: MutationResult) => Promise<void> | void;
  onChange?: () => void;
  retry?: { baseMs?: number; maxMs?: number; random?: () => number };
}

/**
 * The device's mutation queue (docs/architecture.md §4). Each mutation gets the next sequential id and
 * an operation id and is written to disk before any attempt to send it; it leaves the queue
 * only when the server acknowledges it. Sending retries with back-off and jitter.
 */
export class Outbox {
  private readonly file: JsonFile<typeof OutboxFile>;
  private state: z.output<typeof OutboxFile> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closed = false;

  constructor(private readonly options: OutboxOptions) {
    this.file = new JsonFile(options.path, OutboxFile);
  }

  get pendingCount(): number {
    return this.state?.pending.length ?? 0;
  }

  async load(): Promise<void> {
    await this.serial(async () => {
      this.state = (await this.file.read()) ?? {
        deviceId: this.options.deviceId,
        nextSeq: 1,
        pending: [],
      };
    });
  }

  /** Persists a mutation (durably, before sending), then tries to send the queue. */
  async enqueue(op: MutationOp, operationId: string = `mut-${randomUUID()}`): Promise<Mutation> {
    const mutation = await this.serial(async () => {
      const state = await this.loaded();
      const m: Mutation = { mutationSeq: state.nextSeq, operationId, op };
      const next = { ...state, nextSeq: state.nextSeq + 1, pending: [...state.pending, m] };
      await this.file.write(next);
      this.state = next;
      return m;
    });
    this.options.onChange?.();
    this.kick();
    return mutation;
  }

  /** One attempt to send everything pending. Throws when the server could not be reached. */
  async flush(): Promise<void> {
    await this.serial(async () => {
      const state = await this.loaded();
      if (state.pending.length === 0) return;
      const batch = state.pending.slice(0, 200);
      const res = await this.options.http.json('POST', '/v1/sync/mutations', {
        schema: PushResponse,
        body: { deviceId: state.deviceId, mutations: batch },
      });
      const acked = new Set<number>();
      for (const result of res.results) {
        if (result.status === 'skipped') continue;
        const m = batch.find((b) => b.mutationSeq === result.mutationSeq);
        if (!m) continue;
        await this.options.onResult(m, result);
        acked.add(m.mutationSeq);
      }
      // Everything up to the server's last applied seq is acknowledged, whatever came back.
      const current = await this.loaded();
      const next = {
        ...current,
        pending: current.pending.filter(
          (m) => !acked.has(m.mutationSeq) && m.mutationSeq > res.lastMutationSeq,
        ),
      };
      await this.file.write(next);
      this.state = next;
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
    await this.chain.catch(() => undefined);
  }

  private async loaded() {
    if (!this.state)
      this.state = (await this.file.read()) ?? {
        deviceId: this.options.deviceId,
        nextSeq: 1,
        pending: [],
      };
    return this.state;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
