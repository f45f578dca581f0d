/**
 * The bounded job queue of one instance: at most `concurrency` jobs run (one engine task each
 * at a time, so the engine pool never queues behind them) and at most `maxQueue` wait. A place
 * is reserved before the job holds credits, so a full queue is refused with 503 before any hold.
 */
import { HttpError } from '../http/errors';

export interface Ticket {
  /** Puts the job in the reserved place. */
  enqueue(): void;
  /** Gives the reserved place back (the hold failed, or the request was a replay). */
  cancel(): void;
}

export type RunJob = (jobId: string, signal: AbortSignal) => Promise<void>;

export class JobQueue {
  private readonly waiting: string[] = [];
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void> }
  >();
  /** Jobs with a place but not yet recorded (their hold is being written). */
  private readonly reserved = new Map<string, number>();
  private reservedCount = 0;
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
    private readonly run: RunJob,
  ) {}

  /** Reserves a place for `jobId` or throws 503 'busy'. */
  reserve(jobId: string): Ticket {
    if (this.closed) throw new HttpError(503, 'closing', 'the server is shutting down; try again');
    if (
      this.running.size + this.waiting.length + this.reservedCount >=
      this.concurrency + this.maxQueue
    )
      throw new HttpError(
        503,
        'busy',
        `the engines are busy (${this.waiting.length} jobs waiting); nothing was held, try again shortly`,
      );
    // A concurrent replay reserves too; only one of them will enqueue.
    this.reserved.set(jobId, (this.reserved.get(jobId) ?? 0) + 1);
    this.reservedCount++;
    let used = false;
    const giveBack = (): boolean => {
      if (used) return false;
      used = true;
      this.reservedCount--;
      const left = (this.reserved.get(jobId) ?? 1) - 1;
      if (left > 0) this.reserved.set(jobId, left);
      else this.reserved.delete(jobId);
      return true;
    };
    return {
      enqueue: () => {
        if (!giveBack()) return;
        this.waiting.push(jobId);
        this.pump();
      },
      cancel: () => void giveBack(),
    };
  }

  /** Jobs queued or running on this instance, or about to be. */
  get active(): string[] {
    return [...this.reserved.keys(), ...this.waiting, ...this.running.keys()];
  }

  get stats(): { running: number; waiting: number } {
    return { running: this.running.size, waiting: this.waiting.length };
  }

  /** Takes a job out: 'queued' if it was waiting, 'running' if its run was told to stop. */
  stop(jobId: string, reason: string): 'queued' | 'running' | null {
    const at = this.waiting.indexOf(jobId);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      return 'queued';
    }
    const run = this.running.get(jobId);
    if (!run) return null;
    run.controller.abort(reason);
    return 'running';
  }

  /** Refuses new jobs, stops running ones and waits for them; returns the jobs that never started. */
  async close(reason: string): Promise<string[]> {
    this.closed = true;
    const never = this.waiting.splice(0);
    const runs = [...this.running.values()];
    for (const run of runs) run.controller.abort(reason);
    await Promise.all(runs.map((r) => r.done));
    return never;
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency) {
      const jobId = this.waiting.shift();
      if (jobId === undefined) return;
      const controller = new AbortController();
      const done = this.run(jobId, controller.signal)
        .catch(() => undefined) // JobRunner.run never throws: it logs and fails the job itself
        .finally(() => {
          this.running.delete(jobId);
          this.pump();
        });
      this.running.set(jobId, { controller, done });
    }
  }
}
