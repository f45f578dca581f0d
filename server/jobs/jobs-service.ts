/**
 * Tool jobs: admission (checks and quote before any hold), the hold and the job row in one
 * ledger write, a bounded queue onto the engine pool, and every later state change in one
 * ledger write with the capture or release it implies. The hold is the source of truth for
 * money; the job row says what the user sees, and the two change together.
 */
import { randomUUID } from 'node:crypto';
import { canonicalize } from '../../shared/canonical/jcs';
import {
  type CreateJobRequest,
  type Job,
  type ToolsResponse,
  type UploadResponse,
  MAX_PROMPT_LENGTH,
  isFinalJobState,
} from '../../shared/api/jobs';
import type { Logger } from '../../shared/log/logger';
import { EnginePool } from '../engines/index';
import { conflict, notFound } from '../http/errors';
import { sha256Hex } from '../node-digest';
import type { Services } from '../services';
import { admit } from './admission';
import { DEFAULT_MAX_UPLOAD_BYTES, type JobsConfig, filesDir } from './config';
import { engineWorkerUrl } from './engine-worker-url';
import { JobEvents, type JobListener, type LiveProgress } from './events';
import { FileStore, isSha256 } from './file-store';
import { JobHousekeeping } from './housekeeping';
import { holdAndRecord, jobIdFor } from './intake';
import { type JobRow, jobStore } from './job-store';
import { GenerateProviders, withoutAddresses } from './providers';
import { JobQueue } from './queue';
import { JobRunner } from './runner';
import { JobTransitions, type Outcome, failures } from './transitions';
import { acceptUpload, maxUploadPixels } from './upload-store';
import { upscaleCapability } from './upscale-tiers';
import { jobView } from './view';

export class JobsService {
  readonly pool: EnginePool;
  readonly files: FileStore;
  readonly providers: GenerateProviders;
  private readonly events = new JobEvents();
  private readonly transitions: JobTransitions;
  private readonly queue: JobQueue;
  private readonly housekeeping: JobHousekeeping;
  private readonly runnerId = `runner_${randomUUID()}`;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: Logger;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly services: Services,
    private readonly config: JobsConfig,
  ) {
    const { db, clock, ledger } = services;
    this.log = services.log.child({ component: 'jobs' });
    const concurrency = Math.max(1, Math.floor(config.pool?.concurrency ?? 1));
    const maxQueue = config.maxQueue ?? 8;
    // The queue below never gives the pool more than `concurrency` tasks; the pool's own queue
    // only absorbs workers still winding down a cancelled task.
    this.pool = new EnginePool({
      ...config.pool,
      workerUrl: config.pool?.workerUrl ?? engineWorkerUrl(config.engineNice ?? 10),
      concurrency,
      maxQueue: config.pool?.maxQueue ?? concurrency + maxQueue,
    });
    this.files = new FileStore(filesDir(config));
    this.providers = new GenerateProviders(config.generate, config.engineProbe);
    this.transitions = new JobTransitions(ledger, (jobId) => this.publish(jobId));
    const runner = new JobRunner({
      db,
      clock,
      pool: this.pool,
      files: this.files,
      providers: this.providers,
      transitions: this.transitions,
      events: this.events,
      runnerId: this.runnerId,
      taskTimeoutMs: config.taskTimeoutMs ?? 10 * 60_000,
      publish: (jobId) => this.publish(jobId),
      log: this.log,
      priceBook: () => services.catalog.priceBook(),
    });
    this.queue = new JobQueue(concurrency, maxQueue, (id, signal) => runner.run(id, signal));
    this.housekeeping = new JobHousekeeping({
      db,
      clock,
      transitions: this.transitions,
      queue: this.queue,
      runnerId: this.runnerId,
      staleAfterMs: config.staleAfterMs ?? 90_000,
    });
    this.every('job sweep', config.sweepIntervalMs ?? 15_000, () => this.sweep());
    this.every('job heartbeat', config.heartbeatMs ?? 20_000, () => this.housekeeping.heartbeat());
  }

  /** Runs `fn` every `ms`; a failed round is logged and the next round tries again. */
  private every(what: string, ms: number, fn: () => Promise<unknown>): void {
    if (ms <= 0) return;
    const timer = setInterval(
      () => void fn().catch((error: unknown) => this.log.error({ err: error }, `${what} failed`)),
      ms,
    );
    timer.unref();
    this.timers.push(timer);
  }

  /** This instance's id, as recorded on the jobs it runs. */
  get instanceId(): string {
    return this.runnerId;
  }

  get maxUploadBytes(): number {
    return this.config.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  }

  get eventsPollMs(): number {
    return this.config.eventsPollMs ?? 2000;
  }

  private get db() {
    return this.services.db;
  }

  // ---- uploads and files ------------------------------------------------------------------

  async upload(accountId: string, bytes: Uint8Array): Promise<UploadResponse> {
    const { book } = await this.services.catalog.priceBook();
    return acceptUpload(
      { db: this.db, clock: this.services.clock, files: this.files },
      accountId,
      bytes,
      {
        maxBytes: this.maxUploadBytes,
        maxPixels: maxUploadPixels(book.maxPixels),
      },
    );
  }

  /** A stored file for an account that owns an upload or a live job output with it; else 404. */
  async file(accountId: string, sha256: string) {
    if (!isSha256(sha256)) throw notFound('file');
    const format = await jobStore.readableFormat(this.db, accountId, sha256);
    if (!format) throw notFound('file');
    const opened = await this.files.open(sha256);
    if (!opened) throw notFound('file');
    return { ...opened, mime: `image/${format}` };
  }

  async tools(): Promise<ToolsResponse> {
    const { book } = await this.services.catalog.priceBook();
    const ready = { available: true, reason: null };
    return {
      generate: {
        provider: this.providers.configuredInfo,
        preview: this.providers.previewInfo,
        models: (await this.providers.capabilities(book.tools.generate?.models ?? {})).map((m) => ({
          ...m,
          reason: m.reason === null ? null : withoutAddresses(m.reason),
        })),
        textToImage: ready,
        imageToImage: ready,
        maxPromptLength: MAX_PROMPT_LENGTH,
      },
      filter: ready,
      upscale: upscaleCapability(book),
      cutout: ready,
      faceEnhance: book.tools.faceEnhance
        ? await this.providers.faceEnhance().then((f) => ({
            available: f.available,
            reason: f.reason === null ? null : withoutAddresses(f.reason),
          }))
        : { available: false, reason: 'The price book does not offer face enhance.' },
      uploads: {
        maxBytes: this.maxUploadBytes,
        maxPixels: maxUploadPixels(book.maxPixels),
        formats: ['png', 'jpeg', 'webp'],
      },
    };
  }

  // ---- jobs -------------------------------------------------------------------------------

  /** Admits, holds and queues a job; a replay of the operation id returns the same job. */
  async submit(accountId: string, req: CreateJobRequest): Promise<{ status: number; job: Job }> {
    const jobId = jobIdFor(accountId, req.operationId);
    const requestHash = sha256Hex(canonicalize(req));
    const existing = await jobStore.find(this.db, jobId);
    if (existing) return this.replay(existing, requestHash);

    const { book } = await this.services.catalog.priceBook();
    const plan = await admit(this.db, accountId, book, this.providers, req);
    const ticket = this.queue.reserve(jobId);
    try {
      const replayed = await holdAndRecord(this.services.ledger, this.services.teamWallet, {
        accountId,
        jobId,
        req,
        plan,
        requestHash,
        creditKind: book.currency,
        runnerId: this.runnerId,
        holdTtlSeconds: this.config.holdTtlSeconds,
      });
      if (replayed) {
        ticket.cancel();
        const row = await jobStore.find(this.db, jobId);
        if (!row) throw notFound('job');
        return this.replay(row, requestHash);
      }
      ticket.enqueue();
    } catch (error) {
      ticket.cancel();
      throw error;
    }
    return { status: 201, job: await this.view(jobId) };
  }

  private async replay(row: JobRow, requestHash: string): Promise<{ status: number; job: Job }> {
    if (row.request_hash !== requestHash)
      throw conflict(
        'operation-id-reused',
        `operation ${row.operation_id} was already used for a different job`,
      );
    return { status: 201, job: await this.view(row.id) };
  }

  async get(accountId: string, jobId: string): Promise<Job> {
    let row = await this.visible(accountId, jobId);
    // A lapsed confirmation shows as expired at once, not only after the next sweep.
    if (
      row.state === 'awaiting-confirm' &&
      row.hold_expires_at !== null &&
      row.hold_expires_at <= this.services.clock.now()
    ) {
      await this.transitions.expire(row);
      row = await this.visible(accountId, jobId);
    }
    return this.viewOf(row);
  }

  /** The account's personal runs (never its team runs: those are the team's). */
  async list(
    accountId: string,
    query: { limit: number; before?: string | undefined },
  ): Promise<{ jobs: Job[]; next: string | null }> {
    return this.page(await jobStore.list(this.db, accountId, query.limit, query.before), query);
  }

  /**
   * A team's runs by all its members, for a current member; anyone else is answered as if the
   * team did not exist (docs/architecture.md §14).
   */
  async listTeam(
    accountId: string,
    teamId: string,
    query: { limit: number; before?: string | undefined },
  ): Promise<{ jobs: Job[]; next: string | null }> {
    if (!(await jobStore.isMember(this.db, teamId, accountId))) throw notFound('team');
    return this.page(await jobStore.listTeam(this.db, teamId, query.limit, query.before), query);
  }

  private async page(
    rows: JobRow[],
    query: { limit: number },
  ): Promise<{ jobs: Job[]; next: string | null }> {
    const outputs = await jobStore.outputs(
      this.db,
      rows.map((r) => r.id),
    );
    return {
      jobs: rows.map((r) => jobView(r, outputs.get(r.id) ?? [], this.liveProgress(r))),
      next: rows.length === query.limit ? (rows.at(-1)?.id ?? null) : null,
    };
  }

  async cancel(accountId: string, jobId: string): Promise<Job> {
    const outcome = await this.transitions.cancel(await this.own(accountId, jobId));
    if (outcome !== 'ok')
      throw outcome === 'awaiting-confirm'
        ? conflict('job-awaiting-confirm', 'the result is waiting for you: confirm or discard it')
        : conflict('job-finished', `the job is already ${outcome}`);
    this.queue.stop(jobId, 'cancelled');
    return this.view(jobId);
  }

  /** Cutout: keep the result and pay the held amount. */
  async confirm(accountId: string, jobId: string): Promise<Job> {
    this.answered(await this.transitions.confirm(await this.own(accountId, jobId)));
    return this.view(jobId);
  }

  /** Cutout: reject the result; the hold is released. */
  async discard(accountId: string, jobId: string): Promise<Job> {
    this.answered(await this.transitions.discard(await this.own(accountId, jobId)));
    return this.view(jobId);
  }

  private answered(outcome: Outcome): void {
    if (outcome === 'ok') return;
    if (outcome === 'expired')
      throw conflict(
        'job-expired',
        'the result was not confirmed in time: its hold lapsed and nothing was charged',
      );
    throw conflict('job-not-awaiting-confirm', `the job is ${outcome}, not awaiting confirmation`);
  }

  subscribe(jobId: string, listener: JobListener): () => void {
    return this.events.subscribe(jobId, listener);
  }

  /** The last preview of a job running here (the caller has checked who may see it). */
  lastPreview(jobId: string) {
    return this.events.liveOf(jobId)?.preview ?? null;
  }

  // ---- recovery and shutdown --------------------------------------------------------------

  /**
   * Call at start: fails (and releases) jobs left queued or running by a process that is gone.
   * Every such job when this process is the database's only user (`exclusive`, default on
   * PGlite); otherwise those whose heartbeat is stale, the rest being left to the sweep.
   */
  recoverJobs(): Promise<number> {
    return this.housekeeping.failOrphans(this.config.exclusive ?? this.db.kind === 'pglite');
  }

  /** Expires lapsed cutouts and fails orphaned jobs (also run every `sweepIntervalMs`). */
  sweep(): Promise<number> {
    return this.housekeeping.sweep();
  }

  /** Stops taking jobs, fails those queued or running here (releasing their holds), stops the pool. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      // Running jobs see the 'shutdown' reason and fail themselves.
      const neverStarted = await this.queue.close('shutdown');
      for (const jobId of neverStarted) {
        const row = await jobStore.find(this.db, jobId);
        if (row) await this.transitions.fail(row, failures.shutdown);
      }
      await this.pool.close({ force: true });
    })();
    return this.closing;
  }

  // ---- views ------------------------------------------------------------------------------

  private async publish(jobId: string): Promise<void> {
    if (!this.events.watching(jobId)) return;
    this.events.emit(jobId, { type: 'state', job: await this.view(jobId) });
  }

  /**
   * A job the caller may act on (cancel, confirm, discard): one they started, and for a team
   * run only while they are still a member. Anyone else's is "not found": never confirm that
   * it exists.
   */
  private async own(accountId: string, jobId: string): Promise<JobRow> {
    const row = await this.visible(accountId, jobId);
    if (row.account_id !== accountId) throw notFound('job');
    return row;
  }

  /** A job the caller may see: their personal run, or a run of a team they are a member of. */
  private async visible(accountId: string, jobId: string): Promise<JobRow> {
    const row = await jobStore.find(this.db, jobId);
    const sees =
      row !== null &&
      (row.team_id === null
        ? row.account_id === accountId
        : await jobStore.isMember(this.db, row.team_id, accountId));
    if (!row || !sees) throw notFound('job');
    return row;
  }

  private liveProgress(row: JobRow): LiveProgress | undefined {
    return isFinalJobState(row.state) ? undefined : this.events.liveOf(row.id);
  }

  private async view(jobId: string): Promise<Job> {
    const row = await jobStore.find(this.db, jobId);
    if (!row) throw notFound('job');
    return this.viewOf(row);
  }

  private async viewOf(row: JobRow): Promise<Job> {
    const outputs = await jobStore.outputs(this.db, [row.id]);
    return jobView(row, outputs.get(row.id) ?? [], this.liveProgress(row));
  }
}
