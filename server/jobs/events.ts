/**
 * In-process fan-out of job events to the Server-Sent Events streams watching them, and the
 * live progress of the jobs running here (fresher than the job row, which is written about
 * once a second): the fraction, what the engine is doing, its ETA and its last preview.
 */
import type { ImageFormat, JobEvent } from '../../shared/api/jobs';

export type JobListener = (event: JobEvent) => void;

type PreviewEvent = Extract<JobEvent, { type: 'preview' }>;

/** A running job as its engine last described it. */
export interface LiveProgress {
  progress: number;
  stage: string | null;
  etaSeconds: number | null;
  preview: PreviewEvent | null;
}

export class JobEvents {
  private readonly listeners = new Map<string, Set<JobListener>>();
  private readonly live = new Map<string, LiveProgress>();

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

  /**
   * Records and announces a running job's progress (0..1). A stage or ETA not given keeps the
   * last one: engines say what they are doing when it changes.
   */
  progress(
    jobId: string,
    fraction: number,
    detail?: { stage?: string; etaSeconds?: number },
  ): void {
    const before = this.live.get(jobId);
    const now: LiveProgress = {
      progress: fraction,
      stage: detail?.stage ?? before?.stage ?? null,
      etaSeconds: detail?.etaSeconds ?? before?.etaSeconds ?? null,
      preview: before?.preview ?? null,
    };
    this.live.set(jobId, now);
    this.emit(jobId, {
      type: 'progress',
      jobId,
      progress: fraction,
      stage: now.stage,
      etaSeconds: now.etaSeconds === null ? null : Math.round(now.etaSeconds * 10) / 10,
    });
  }

  /** Records and announces a look at image `index` of a running job. */
  preview(jobId: string, index: number, format: ImageFormat, base64: string): void {
    const event: PreviewEvent = { type: 'preview', jobId, index, format, base64 };
    const before = this.live.get(jobId);
    this.live.set(jobId, {
      progress: before?.progress ?? 0,
      stage: before?.stage ?? null,
      etaSeconds: before?.etaSeconds ?? null,
      preview: event,
    });
    this.emit(jobId, event);
  }

  /** The job's live progress while it runs here. */
  progressOf(jobId: string): number | undefined {
    return this.live.get(jobId)?.progress;
  }

  /** Everything the engine last said about the job while it runs here. */
  liveOf(jobId: string): LiveProgress | undefined {
    return this.live.get(jobId);
  }

  /** The job has stopped running here. */
  stopped(jobId: string): void {
    this.live.delete(jobId);
  }
}
