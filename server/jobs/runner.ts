/**
 * Runs one queued job: marks it running, feeds its input to the engine pool with a deadline
 * inside its hold's lifetime, stores the outputs content-addressed and settles the job. How it
 * ends decides the ledger: success captures (or awaits a cutout's confirmation), failure
 * releases; a cancel has settled the job before the run stops.
 */
import {
  CutoutJobParams,
  FaceEnhanceJobParams,
  FilterJobParams,
  GenerateJobParams,
  MAX_PREVIEW_BASE64,
  UpscaleJobParams,
} from '../../shared/api/jobs';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { type EnginePool, ImageInputError, ProviderError } from '../engines/index';
import type { PriceBook } from '../../shared/pricing/book';
import {
  type EngineOutcome,
  type RunDetail,
  type RunSpec,
  describeFailure,
  runEngines,
} from './engine-run';
import type { JobEvents } from './events';
import type { FileStore } from './file-store';
import { markedPreview } from './preview';
import { type JobRow, jobStore } from './job-store';
import type { GenerateProviders } from './providers';
import { type JobTransitions, failures } from './transitions';

/** Margin kept between the engines' deadline and the hold's expiry, for storing and capturing. */
const HOLD_MARGIN_MS = 10_000;
/** The job row's progress is written at most this often; watchers get every step live. */
const PROGRESS_FLUSH_MS = 1000;

export interface RunnerDeps {
  db: Database;
  clock: Clock;
  pool: EnginePool;
  files: FileStore;
  providers: GenerateProviders;
  transitions: JobTransitions;
  events: JobEvents;
  runnerId: string;
  taskTimeoutMs: number;
  publish(jobId: string): Promise<void>;
  log: Logger;
  priceBook(): Promise<{ book: PriceBook }>;
}

export class JobRunner {
  constructor(private readonly d: RunnerDeps) {}

  /** Never throws: whatever goes wrong is logged, and the job is failed and released if it can be. */
  async run(jobId: string, signal: AbortSignal): Promise<void> {
    try {
      await this.attempt(jobId, signal);
    } catch (error) {
      // Reading or claiming the job failed: it stays queued and the sweep picks it up again.
      this.d.log.error({ err: error, jobId }, 'job could not be started');
    }
  }

  private async attempt(jobId: string, signal: AbortSignal): Promise<void> {
    const { db, clock, events } = this.d;
    const row = await jobStore.find(db, jobId);
    if (!row || row.state !== 'queued') return;
    if (!(await jobStore.markRunning(db, jobId, this.d.runnerId, clock.now()))) return;
    let flushedAt = Date.now();
    const onProgress = (fraction: number, detail?: RunDetail): void => {
      const preview = detail?.preview;
      if (preview) {
        const base64 = Buffer.from(preview.bytes).toString('base64');
        if (base64.length <= MAX_PREVIEW_BASE64)
          events.preview(jobId, preview.index, preview.format, base64);
      }
      events.progress(jobId, fraction, detail);
      if (Date.now() - flushedAt < PROGRESS_FLUSH_MS) return;
      flushedAt = Date.now();
      void jobStore.setProgress(db, jobId, fraction, clock.now()).catch((error: unknown) =>
        // Only the stored progress figure is behind; watchers got this step live.
        this.d.log.warn({ err: error, jobId }, 'job progress could not be stored'),
      );
    };
    events.progress(jobId, 0);
    try {
      await this.d.publish(jobId);
      let outcome: EngineOutcome;
      try {
        const spec = await this.specOf(row);
        const input = await this.inputOf(row, spec);
        outcome = await runEngines(this.d.pool, spec, input, {
          signal,
          deadline: this.deadlineOf(row),
          onProgress,
        });
      } catch (error) {
        const reason: unknown = signal.reason;
        // A cancel has settled the job already; a job settled elsewhere is not ours to settle.
        if (reason === 'cancelled' || reason === 'gone') return;
        await this.d.transitions.fail(
          row,
          reason === 'shutdown' ? failures.shutdown : describeFailure(error),
        );
        return;
      }
      const stored = await Promise.all(outcome.images.map((i) => this.d.files.put(i.bytes)));
      // Until a cutout is confirmed (and paid) only marked previews are served (§8).
      const previews =
        row.tool === 'cutout'
          ? await Promise.all(
              outcome.images.map(async (i) => {
                const p = await markedPreview(i.bytes);
                return { ...(await this.d.files.put(p.bytes)), width: p.width, height: p.height };
              }),
            )
          : [];
      await this.d.transitions.succeed(row, outcome, stored, previews);
    } catch (error) {
      // Storing or settling failed (disk, database): fail the job if it can still be failed.
      this.d.log.error({ err: error, jobId }, 'job outputs could not be stored or settled');
      await this.d.transitions.fail(row, describeFailure(error)).catch((failError: unknown) =>
        // The hold still expires on its own, so the credits come back even if this failed.
        this.d.log.error({ err: failError, jobId }, 'job could not be marked failed'),
      );
    } finally {
      events.stopped(jobId);
    }
  }

  private async specOf(row: JobRow): Promise<RunSpec> {
    const params: unknown = JSON.parse(row.params);
    switch (row.tool) {
      case 'generate': {
        const p = GenerateJobParams.parse(params);
        const { book } = await this.d.priceBook();
        const provider = await this.d.providers.choose(p.model, book.tools.generate?.models ?? {});
        if ('reason' in provider) throw new ProviderError(provider.code, provider.reason);
        return { tool: 'generate', params: p, provider };
      }
      case 'filter':
        return { tool: 'filter', params: FilterJobParams.parse(params) };
      case 'upscale':
        return { tool: 'upscale', params: UpscaleJobParams.parse(params) };
      case 'cutout':
        return { tool: 'cutout', params: CutoutJobParams.parse(params) };
      case 'face-enhance': {
        const provider = await this.d.providers.faceProvider();
        if ('reason' in provider) throw new ProviderError(provider.code, provider.reason);
        return { tool: 'face-enhance', params: FaceEnhanceJobParams.parse(params), provider };
      }
    }
  }

  private async inputOf(row: JobRow, spec: RunSpec): Promise<Uint8Array | null> {
    const uploadId = spec.tool === 'generate' ? spec.params.inputUploadId : spec.params.uploadId;
    if (uploadId === undefined) return null;
    const upload = await jobStore.findUpload(this.d.db, row.account_id, uploadId);
    if (!upload) throw new ImageInputError('not-an-image', 'the input upload is gone');
    const bytes = await this.d.files.read(upload.sha256);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The engines must be done before the hold lapses, with a margin to store and capture. */
  private deadlineOf(row: JobRow): number {
    const limit = this.d.taskTimeoutMs;
    if (row.hold_expires_at === null) return Date.now() + limit;
    const left = Date.parse(row.hold_expires_at) - Date.parse(this.d.clock.now()) - HOLD_MARGIN_MS;
    return Date.now() + Math.min(limit, left);
  }
}
