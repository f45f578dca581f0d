/**
 * EnginePool: runs engine tasks (upscale, cutout, filter, generate) in worker threads so the
 * server's event loop never waits on pixels or models.
 *
 * - Bounded concurrency (default 1 worker) and a bounded wait queue (default 8): a task that
 *   finds the queue full is refused at once with PoolError('queue-full').
 * - Progress: `onProgress(fraction, detail)` with 0..1 and the engine's stage, ETA and preview
 *   (previews at most a few a second, at most 256 px a side), relayed from the engine.
 * - Cancellation: aborting `signal` rejects the task at once with an AbortError
 *   (EngineAbortError). A queued task just leaves the queue. A running task's worker is told to
 *   stop; engines check their signal between tiles and steps, so the worker is free again within
 *   a moment and keeps its loaded models. A worker that has not stopped after `cancelGraceMs` is
 *   terminated and replaced. (Terminating at once is not safe: onnxruntime-node aborts the whole
 *   process when its worker thread is torn down in the middle of a run.)
 * - `timeoutMs` per task: PoolError('timeout'), and the worker is stopped the same way.
 * - A worker that dies (out of memory, native crash) rejects its task with
 *   PoolError('worker-crashed'); the pool carries on with a fresh worker.
 * - Byte arrays cross as transferables: the input is copied once into a buffer that is moved to
 *   the worker (or moved without a copy with `transferInput: true`); outputs are moved back.
 * - `close()` refuses new tasks, rejects queued ones with PoolError('closed'), lets running
 *   tasks finish and then stops the workers; `close({ force: true })` rejects running tasks at
 *   once too and stops their workers as soon as they have wound down.
 *
 * Workers are started from this folder's worker.ts through tsx's loader when this file runs as
 * TypeScript (tsx, vitest), or from worker.js next to it when it has been compiled.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
// sharp must be loaded by the main thread before any worker loads it (glibc: its shared
// libraries must stay loaded until every worker has exited).
import 'sharp';
import { EngineAbortError, type ProgressFn, clampFraction } from './errors';
import {
  type RunMessage,
  type WorkerInit,
  isWorkerMessage,
  progressDetailOf,
  reviveError,
} from './protocol';
import type { TaskInput, TaskKind, TaskOutput, TaskParams } from './tasks';
import { defaultEngineThreads } from './threads';

export type PoolErrorCode = 'queue-full' | 'closed' | 'worker-crashed' | 'timeout';

export class PoolError extends Error {
  override readonly name = 'PoolError';
  constructor(
    readonly code: PoolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface PoolOptions {
  /** Tasks run at the same time, one worker each (default 1). */
  concurrency?: number;
  /** Tasks waiting for a worker beyond those running (default 8); more are refused. */
  maxQueue?: number;
  /** An idle worker is stopped after this long, freeing its models' memory (default 5 min; 0 = never). */
  idleTimeoutMs?: number;
  /** Threads each worker's cutout may use (default: cores ÷ concurrency − 1, from 1 to 4). */
  threadsPerWorker?: number;
  /**
   * Threads each worker's upscale may use (default: cores ÷ concurrency, at least 1): the big
   * ESRGAN layers scale with cores, and workers run niced so the server's thread comes first.
   */
  upscaleThreadsPerWorker?: number;
  /** V8 heap limits of each worker (WebAssembly and native memory are not counted by V8). */
  resourceLimits?: ResourceLimits;
  /** Worker entry module; defaults to worker.ts (via tsx) or worker.js beside this file. */
  workerUrl?: URL;
  /**
   * How long a cancelled or timed-out task's worker may take to stop by itself before it is
   * terminated (default 120 s: one 256 px tile of the best upscale tier is a single
   * onnxruntime run of ~2.5 s of CPU, and over 40 s of wall time at load 20 on two cores; a worker
   * torn down in the middle of such a run would take the whole process with it).
   */
  cancelGraceMs?: number;
}

export interface RunOptions {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** Fails the task with PoolError('timeout') when it has not finished after this long (from start of run). */
  timeoutMs?: number;
  /**
   * Move the caller's input buffer to the worker instead of copying it. The caller's array is
   * detached (length 0) afterwards. Only possible when the array spans its whole ArrayBuffer.
   */
  transferInput?: boolean;
}

export interface PoolStats {
  workers: number;
  /** Workers busy with a task, including cancelled tasks still winding down. */
  running: number;
  /** Of those, workers winding down a cancelled or timed-out task. */
  stopping: number;
  queued: number;
  closed: boolean;
}

interface Task {
  id: number;
  kind: TaskKind;
  input: Uint8Array | null;
  params: unknown;
  transfer: ArrayBuffer[];
  options: RunOptions;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  settled: boolean;
  /** The highest progress reported so far. */
  fraction: number;
  cleanup: () => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  idleTimer: NodeJS.Timeout | null;
  /** Set when the pool itself terminates the worker, so its exit is not a crash. */
  retiring: boolean;
  /** Set while the worker winds down a cancelled task; terminates it when the grace runs out. */
  stopTimer: NodeJS.Timeout | null;
}

const isTypeScript = import.meta.url.endsWith('.ts');

function defaultWorkerUrl(): URL {
  return new URL(isTypeScript ? './worker.ts' : './worker.js', import.meta.url);
}

function startWorker(
  url: URL,
  init: WorkerInit,
  resourceLimits: ResourceLimits | undefined,
): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: init, resourceLimits });
  // Node 20 does not apply --import loaders to worker threads, so the worker registers tsx's
  // ESM loader itself before importing the TypeScript entry.
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(
    require.resolve('tsx/package.json').replace(/package\.json$/, 'dist/esm/api/index.mjs'),
  ).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init, resourceLimits, execArgv: [] });
}

export class EnginePool {
  private readonly concurrency: number;
  private readonly maxQueue: number;
  private readonly idleTimeoutMs: number;
  private readonly cancelGraceMs: number;
  private readonly init: WorkerInit;
  private readonly workerUrl: URL;
  private readonly slots = new Set<Slot>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private drained: Promise<void> | null = null;

  constructor(private readonly options: PoolOptions = {}) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.maxQueue = Math.max(0, Math.floor(options.maxQueue ?? 8));
    this.idleTimeoutMs = Math.max(0, options.idleTimeoutMs ?? 5 * 60_000);
    this.cancelGraceMs = Math.max(0, options.cancelGraceMs ?? 120_000);
    const cores = Math.floor(availableParallelism() / this.concurrency);
    this.init = {
      threads: Math.max(1, Math.floor(options.threadsPerWorker ?? defaultEngineThreads(cores))),
      upscaleThreads: Math.max(1, Math.floor(options.upscaleThreadsPerWorker ?? cores)),
    };
    this.workerUrl = options.workerUrl ?? defaultWorkerUrl();
  }

  get stats(): PoolStats {
    let running = 0;
    let stopping = 0;
    for (const slot of this.slots) {
      if (slot.task) running++;
      if (slot.stopTimer) stopping++;
    }
    return {
      workers: this.slots.size,
      running,
      stopping,
      queued: this.queue.length,
      closed: this.closed,
    };
  }

  /**
   * Runs `kind` with `input` and `params` in a worker. Resolves with the engine's output;
   * rejects with the engine's own error (ImageInputError, EngineError, ProviderError), an
   * AbortError when cancelled, or PoolError ('queue-full', 'closed', 'timeout', 'worker-crashed').
   */
  run<K extends TaskKind>(
    kind: K,
    input: TaskInput<K>,
    params: TaskParams<K>,
    options: RunOptions = {},
  ): Promise<TaskOutput<K>> {
    return new Promise<TaskOutput<K>>((resolve, reject) => {
      if (this.closed) return reject(new PoolError('closed', 'The engine pool is closed.'));
      if (options.signal?.aborted) return reject(new EngineAbortError());
      const hasFreeWorker =
        [...this.slots].some((s) => !s.task) || this.slots.size < this.concurrency;
      if (!hasFreeWorker && this.queue.length >= this.maxQueue) {
        return reject(
          new PoolError(
            'queue-full',
            `The engine queue is full (${this.maxQueue} waiting); try again shortly.`,
          ),
        );
      }
      let bytes: Uint8Array | null = null;
      const transfer: ArrayBuffer[] = [];
      if (input instanceof Uint8Array) {
        const whole =
          input.byteOffset === 0 &&
          input.buffer instanceof ArrayBuffer &&
          input.byteLength === input.buffer.byteLength;
        bytes = options.transferInput && whole ? input : new Uint8Array(input);
        transfer.push(bytes.buffer as ArrayBuffer);
      }
      const task: Task = {
        id: this.nextId++,
        kind,
        input: bytes,
        params,
        transfer,
        options,
        resolve: resolve as (value: unknown) => void,
        reject,
        settled: false,
        fraction: 0,
        cleanup: () => {},
      };
      const onAbort = (): void => this.cancel(task, new EngineAbortError());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      task.cleanup = () => options.signal?.removeEventListener('abort', onAbort);
      this.queue.push(task);
      this.pump();
    });
  }

  /**
   * Stops the pool. Queued tasks are rejected with PoolError('closed'); running tasks finish
   * (or, with `force`, are rejected at once and their workers told to stop). Resolves when all
   * workers have exited.
   */
  async close(options: { force?: boolean } = {}): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) {
      this.settle(
        task,
        new PoolError('closed', 'The engine pool was closed before the task started.'),
      );
    }
    if (options.force) {
      for (const slot of this.slots) {
        if (slot.task)
          this.cancel(
            slot.task,
            new PoolError('closed', 'The engine pool was closed while the task ran.'),
          );
      }
    }
    this.drained ??= this.waitForIdle();
    await this.drained;
    await Promise.all([...this.slots].map((slot) => this.retire(slot)));
  }

  private async waitForIdle(): Promise<void> {
    while ([...this.slots].some((s) => s.task)) {
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = [...this.slots].find((s) => !s.task);
      if (!slot) {
        if (this.slots.size >= this.concurrency) return;
        slot = this.spawn();
      }
      const task = this.queue.shift();
      if (task) this.start(slot, task);
    }
  }

  private spawn(): Slot {
    const worker = startWorker(this.workerUrl, this.init, this.options.resourceLimits);
    const slot: Slot = { worker, task: null, idleTimer: null, retiring: false, stopTimer: null };
    this.slots.add(slot);
    worker.on('message', (message: unknown) => this.onMessage(slot, message));
    worker.on('error', (error: Error) =>
      this.onCrash(slot, `The engine worker failed: ${error.message}`),
    );
    worker.on('exit', (code) => this.onCrash(slot, `The engine worker exited (code ${code}).`));
    // An idle worker must not keep the process alive.
    worker.unref();
    return slot;
  }

  private start(slot: Slot, task: Task): void {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    slot.task = task;
    slot.worker.ref();
    const timeoutMs = task.options.timeoutMs;
    if (timeoutMs !== undefined) {
      const timer = setTimeout(
        () =>
          this.cancel(
            task,
            new PoolError(
              'timeout',
              `The ${task.kind} task did not finish within ${Math.round(timeoutMs / 1000)} s.`,
            ),
          ),
        timeoutMs,
      );
      const previous = task.cleanup;
      task.cleanup = () => {
        clearTimeout(timer);
        previous();
      };
    }
    const message: RunMessage = {
      type: 'run',
      id: task.id,
      kind: task.kind,
      input: task.input,
      params: task.params,
    };
    try {
      slot.worker.postMessage(message, task.transfer);
    } catch (error) {
      // e.g. params that cannot be cloned (functions, class instances with private state).
      slot.task = null;
      slot.worker.unref();
      this.settle(
        task,
        new PoolError(
          'worker-crashed',
          `The task could not be sent to a worker: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      this.pump();
      return;
    }
    task.input = null;
  }

  private onMessage(slot: Slot, message: unknown): void {
    const task = slot.task;
    if (!task || !isWorkerMessage(message) || message.id !== task.id) return;
    if (message.type === 'progress') {
      // A preview is made small off the task's path and can arrive after later progress.
      task.fraction = Math.max(task.fraction, clampFraction(message.fraction));
      if (!task.settled) task.options.onProgress?.(task.fraction, progressDetailOf(message));
      return;
    }
    if (message.type === 'done') this.settle(task, null, message.output);
    else this.settle(task, reviveError(message.error));
    this.release(slot);
  }

  private release(slot: Slot): void {
    if (slot.stopTimer) clearTimeout(slot.stopTimer);
    slot.stopTimer = null;
    slot.task = null;
    slot.worker.unref();
    if (this.closed) {
      void this.retire(slot);
      return;
    }
    if (this.idleTimeoutMs > 0) {
      slot.idleTimer = setTimeout(() => void this.retire(slot), this.idleTimeoutMs);
      slot.idleTimer.unref();
    }
    this.pump();
  }

  private onCrash(slot: Slot, reason: string): void {
    if (!this.slots.has(slot)) return;
    this.slots.delete(slot);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    if (slot.stopTimer) clearTimeout(slot.stopTimer);
    if (slot.task && !slot.retiring)
      this.settle(slot.task, new PoolError('worker-crashed', reason));
    slot.task = null;
    this.pump();
  }

  /**
   * Settles a cancelled or timed-out task. A queued task leaves the queue; a running task's
   * worker is asked to stop, and terminated if it has not within the grace period.
   */
  private cancel(task: Task, error: Error): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.settle(task, error);
    for (const slot of this.slots) {
      if (slot.task !== task || slot.stopTimer) continue;
      slot.worker.postMessage({ type: 'cancel', id: task.id });
      slot.stopTimer = setTimeout(() => {
        void this.retire(slot);
        this.pump();
      }, this.cancelGraceMs);
    }
  }

  private async retire(slot: Slot): Promise<void> {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    if (slot.stopTimer) clearTimeout(slot.stopTimer);
    slot.retiring = true;
    this.slots.delete(slot);
    await slot.worker.terminate();
  }

  private settle(task: Task, error: Error | null, output?: unknown): void {
    if (task.settled) return;
    task.settled = true;
    task.cleanup();
    if (error) task.reject(error);
    else task.resolve(output);
  }
}
