/**
 * In-process fan-out of job events to the Server-Sent Events streams watching them, and the
 * live progress of the jobs running here (fresher than the job row, which is written about
 * once a second).
 */
import type { JobEvent } from '../../shared/api/jobs';

export type JobListener = (event: JobEvent) => void;

export class JobEvents {
  private readonly listeners = new Map<string, Set<JobListener>>();
  private readonly live = new Map<string, number>();

  subscribe(jobId: string, listener: JobListener): () => void {
    const set = this.listeners.get(jobId) ?? new Set<JobListener>();
    set.add(listener);
    this.listeners.set(jobId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  emit(jobId: string, event: JobEvent): void {
    for (const listener of [...(this.listeners.get(jobId) ?? [])]) {
      try {
        listener(event);
      } catch {
        // A broken stream must not stop the job or the other watchers.
      }
    }
  }

  watching(jobId: string): boolean {
    return this.listeners.has(jobId);
  }

  /** Records and announces a running job's progress (0..1). */
  progress(jobId: string, fraction: number): void {
    this.live.set(jobId, fraction);
    this.emit(jobId, { type: 'progress', jobId, progress: fraction });
  }

  /** The job's live progress while it runs here. */
  progressOf(jobId: string): number | undefined {
    return this.live.get(jobId);
  }

  /** The job has stopped running here. */
  stopped(jobId: string): void {
    this.live.delete(jobId);
  }
}
