import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CreateJobRequest,
  type ImageFormat,
  Job,
  JobEvent,
  JobListResponse,
  UploadResponse,
  isFinalJobState,
} from '../../shared/api/jobs';
import {
  type JobPreview,
  type JobView,
  SubmitJob,
  JobView as JobViewSchema,
  type UploadResult,
} from '../../shared/ipc/types';
import { easelError } from '../core/errors';
import { JsonFile } from '../storage/json-file';
import type { HttpClient } from './http';

/** POST /v1/items/{itemId}/dislike (server/http/app.ts). */
const DislikeResponse = z.object({ itemId: z.string(), credits: z.int(), seq: z.int() });

const LocalJobs = z.strictObject({
  /** Submissions written before they are sent: a retry reuses the same operation id. */
  submitted: z.array(SubmitJob),
  /** Where each downloaded output sits in the gallery folder, by sha256. */
  files: z.record(z.string(), z.string()),
  /**
   * The accounts each downloaded output belongs to, by sha256: a file on disk is served only to
   * them (docs/architecture.md §8); for anyone else the server is asked, and it decides.
   */
  owners: z.record(z.string(), z.array(z.string())).optional(),
  /**
   * Files of team runs, by sha256: never served from disk, always asked of the server, which
   * serves them only to the team's current members (docs/architecture.md §14).
   */
  team: z.array(z.string()).optional(),
});

const MIME: Record<ImageFormat, 'image/png' | 'image/jpeg' | 'image/webp'> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};
const EXT: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

/** How many files stay in memory after they were read (docs/architecture.md §8). */
const RECENT_FILES = 8;

/** States whose outputs are the user's to see (and so worth downloading). */
const SHOWS_OUTPUTS = new Set(['succeeded', 'awaiting-confirm', 'confirmed']);

export interface JobsDeps {
  http: HttpClient;
  /** The signed-in account, or null. */
  accountId: () => string | null;
  dataDir: string;
  galleryDir: () => string;
  onUpdate: (job: JobView) => void;
  /** A look at an image while its job runs (the engine's preview frame). */
  onPreview?: (preview: JobPreview) => void;
  onLedgerMoved: () => Promise<void>;
  /** How often to re-read a job when its event stream cannot be used. */
  pollMs?: number;
}

/**
 * The server's job as the renderer sees it: the quote becomes the held credits, the capture the
 * charged credits, and only images (not a cutout's mask) are outputs. An output without an item
 * (cutout, filter, upscale) is keyed by its job and index, since the gallery needs a key.
 */
function jobViewOf(job: Job, localPaths: ReadonlyMap<string, string | null>): JobView {
  return JobViewSchema.parse({
    jobId: job.jobId,
    operationId: job.operationId,
    tool: job.tool,
    state: job.state,
    progress: job.progress,
    stage: job.stage ?? null,
    etaSeconds: job.etaSeconds ?? null,
    heldCredits: job.quote.credits,
    capturedCredits: job.charged,
    error: job.error?.message ?? null,
    outputs: job.outputs
      .filter((o) => o.role === 'image')
      .map((o) => ({
        itemId: o.itemId ?? `${job.jobId}:${o.index}`,
        sha256: o.sha256,
        width: o.width,
        height: o.height,
        mime: MIME[o.format],
        refundCredits: o.refundCredits ?? 0,
        disliked: false,
        localPath: localPaths.get(o.sha256) ?? null,
      })),
    createdAt: job.createdAt,
    params: { ...job.params },
    ...(job.team ? { team: job.team } : {}),
  });
}

/** Tool jobs (docs/architecture.md §8): submit, follow, download results to the gallery folder. */
export class JobsClient {
  private readonly file: JsonFile<typeof LocalJobs>;
  private readonly following = new Map<string, AbortController>();
  private state: z.output<typeof LocalJobs> | null = null;
  private readonly recent = new Map<string, { path: string; mime: string; data: Buffer }>();
  /**
   * The last view of each followed job told to the renderer. A job can change (even finish: an
   * engine that fails at once) while its submit is still answering; the answer then carries this
   * newer view, so it never overwrites a later update with the state the job was submitted in.
   */
  private readonly told = new Map<string, JobView>();

  constructor(private readonly deps: JobsDeps) {
    this.file = new JsonFile(join(deps.dataDir, 'jobs.json'), LocalJobs);
  }

  async upload(mime: string, base64: string): Promise<z.output<typeof UploadResult>> {
    const res = await this.deps.http.json('POST', '/v1/uploads', {
      schema: UploadResponse,
      rawBody: { contentType: mime, data: Buffer.from(base64, 'base64') },
      timeoutMs: 120_000,
    });
    return { uploadId: res.uploadId, width: res.width, height: res.height, format: res.format };
  }

  async submit(job: z.output<typeof SubmitJob>): Promise<JobView> {
    const request = CreateJobRequest.safeParse({
      operationId: job.operationId,
      tool: job.tool,
      params: job.params,
      quote: job.quote,
      ...(job.team ? { team: job.team } : {}),
    });
    if (!request.success) {
      const issue = request.error.issues[0];
      throw easelError(
        'invalid-params',
        `the ${job.tool} settings are not valid (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`,
      );
    }
    const local = await this.local();
    if (!local.submitted.some((s) => s.operationId === job.operationId)) {
      await this.save({ ...local, submitted: [...local.submitted, job] });
    }
    const res = await this.deps.http.json('POST', '/v1/jobs', {
      schema: Job,
      body: request.data,
    });
    const view = await this.withPaths(res);
    await this.forget(job.operationId);
    if (!isFinalJobState(res.state)) this.follow(res.jobId);
    await this.deps.onLedgerMoved();
    return this.told.get(res.jobId) ?? view;
  }

  /** Personal runs, or a team's runs (all its members') with `teamId`. */
  async list(teamId?: string): Promise<JobView[]> {
    const path = teamId === undefined ? '/v1/jobs' : `/v1/teams/${encodeURIComponent(teamId)}/jobs`;
    const { jobs } = await this.deps.http.json('GET', path, {
      schema: JobListResponse,
      query: { limit: 100 },
    });
    for (const j of jobs) if (j.state === 'queued' || j.state === 'running') this.follow(j.jobId);
    return Promise.all(jobs.map((j) => this.withPaths(j)));
  }

  async action(jobId: string, action: 'cancel' | 'confirm' | 'discard'): Promise<JobView> {
    const res = await this.deps.http.json(
      'POST',
      `/v1/jobs/${encodeURIComponent(jobId)}/${action}`,
      { schema: Job },
    );
    await this.deps.onLedgerMoved();
    return this.withPaths(res);
  }

  async dislike(itemId: string): Promise<{ itemId: string; credits: number }> {
    const res = await this.deps.http.json(
      'POST',
      `/v1/items/${encodeURIComponent(itemId)}/dislike`,
      {
        schema: DislikeResponse,
        // Item ids hold ':' (`<job>:<index>`), which only the server's own operation ids may
        // carry (docs/architecture.md §2): '.' never appears in a job id, so the map is one-to-one.
        body: { operationId: `dislike-${itemId.replaceAll(':', '.')}`.slice(0, 128) },
      },
    );
    await this.deps.onLedgerMoved();
    return { itemId: res.itemId, credits: res.credits };
  }

  /** Another account (or none) from now on: stop following this one's jobs and forget them. */
  forgetAccount(): void {
    for (const abort of this.following.values()) abort.abort();
    this.following.clear();
    this.told.clear();
  }

  /** A result file as base64 (the `getFile` call); `fileBytes` without the encoding. */
  async fetchFile(sha256: string): Promise<{ mime: string; base64: string }> {
    const bytes = await this.fileBytes(sha256);
    return { mime: bytes.mime, base64: bytes.data.toString('base64') };
  }

  /**
   * A result file of the signed-in account: from the gallery folder when downloaded for this
   * account, else from the server (which serves only the account's own files).
   */
  async fileBytes(sha256: string): Promise<{ mime: string; data: Buffer }> {
    if (!this.deps.accountId()) throw easelError('not-signed-in', 'sign in to see your images');
    const { mime, data } = await this.download(sha256);
    return { mime, data };
  }

  /** Follows a job over its event stream; falls back to polling when the stream fails. */
  private follow(jobId: string): void {
    if (this.following.has(jobId)) return;
    const abort = new AbortController();
    this.following.set(jobId, abort);
    void this.streamThenPoll(jobId, abort.signal).finally(() => {
      if (this.following.get(jobId) === abort) this.following.delete(jobId);
    });
  }

  private async streamThenPoll(jobId: string, signal: AbortSignal): Promise<void> {
    const path = `/v1/jobs/${encodeURIComponent(jobId)}`;
    try {
      const res = await this.deps.http.stream(`${path}/events`, signal);
      if (res.body && (await this.readEvents(res.body, signal))) return;
    } catch {
      // the stream is not available: poll instead
    }
    while (!signal.aborted) {
      await new Promise((r) => setTimeout(r, this.deps.pollMs ?? 1000).unref());
      if (signal.aborted) return;
      try {
        const job = await this.deps.http.json('GET', path, { schema: Job });
        if (await this.deliver(job)) return;
      } catch {
        // offline or a server hiccup: the next tick tries again
      }
    }
  }

  /** Reads SSE events until a final (or awaiting-confirm) state; true once one was seen. */
  private async readEvents(
    body: ReadableStream<Uint8Array>,
    signal: AbortSignal,
  ): Promise<boolean> {
    const decoder = new TextDecoder();
    const reader = body.getReader();
    let buffer = '';
    const seen: { job: Job | null } = { job: null };
    try {
      while (!signal.aborted) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (!data) continue;
          const event = JobEvent.safeParse(JSON.parse(data));
          if (!event.success) continue;
          if (event.data.type === 'state') {
            seen.job = event.data.job;
            if (await this.deliver(event.data.job)) return true;
          } else if (event.data.type === 'preview') {
            this.deps.onPreview?.({
              jobId: event.data.jobId,
              index: event.data.index,
              mime: MIME[event.data.format],
              base64: event.data.base64,
            });
          } else if (event.data.type === 'progress' && seen.job) {
            seen.job = {
              ...seen.job,
              progress: event.data.progress,
              stage: event.data.stage ?? null,
              etaSeconds: event.data.etaSeconds ?? null,
            };
            this.tell(await this.withPaths(seen.job));
          }
        }
      }
    } finally {
      reader.releaseLock();
    }
    return false;
  }

  /** Tells the renderer; true when the job will not change by itself any more. */
  private async deliver(job: Job): Promise<boolean> {
    this.tell(await this.withPaths(job));
    if (isFinalJobState(job.state) || job.state === 'awaiting-confirm') {
      await this.deps.onLedgerMoved();
      return true;
    }
    return false;
  }

  private async withPaths(job: Job): Promise<JobView> {
    const paths = new Map<string, string | null>();
    if (SHOWS_OUTPUTS.has(job.state)) {
      // A team run's files are fetched when shown, each time from the server (see `team`).
      if (job.team) await this.markTeamFiles(job.outputs.map((o) => o.sha256));
      for (const o of job.outputs) {
        if (o.role !== 'image' || job.team) continue;
        paths.set(
          o.sha256,
          await this.download(o.sha256, true)
            .then((d) => d.path)
            .catch(() => null),
        );
      }
    }
    return jobViewOf(job, paths);
  }

  /**
   * A file from the gallery folder, or from the server (then kept there). `ofAccount`: the
   * caller knows the file is one of the signed-in account's outputs (it came in their job), so
   * it is recorded as theirs; otherwise a file on disk is used only if already recorded so.
   */
  private async download(
    sha256: string,
    ofAccount = false,
  ): Promise<{ path: string; mime: string; data: Buffer }> {
    const account = this.deps.accountId();
    const local = await this.local();
    const known = local.files[sha256];
    const owners = local.owners?.[sha256] ?? [];
    const teamFile = local.team?.includes(sha256) === true;
    const mine = account !== null && owners.includes(account) && !teamFile;
    if (known && (mine || ofAccount)) {
      const data = this.recent.get(sha256)?.data ?? (await readFile(known).catch(() => null));
      if (data) {
        if (!mine && account) await this.own(sha256, account);
        return this.remember(sha256, { path: known, mime: mimeOf(known), data });
      }
    }
    const { mime, bytes } = await this.deps.http.bytes(`/v1/files/${sha256}`);
    if (createHash('sha256').update(bytes).digest('hex') !== sha256) {
      throw easelError('bad-response', `file ${sha256.slice(0, 12)}… does not match its hash`);
    }
    const dir = this.deps.galleryDir();
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${sha256}.${EXT[mime] ?? 'bin'}`);
    await writeFile(path, bytes);
    const fresh = await this.local();
    await this.save({ ...fresh, files: { ...fresh.files, [sha256]: path } });
    if (account && !teamFile) await this.own(sha256, account);
    return this.remember(sha256, { path, mime, data: bytes });
  }

  /** Team files are the team's: the server decides each time who may read them. */
  private async markTeamFiles(shas: readonly string[]): Promise<void> {
    const local = await this.local();
    const known = new Set(local.team ?? []);
    const fresh = shas.filter((s) => !known.has(s));
    if (fresh.length > 0) await this.save({ ...local, team: [...known, ...fresh] });
  }

  private async own(sha256: string, account: string): Promise<void> {
    const local = await this.local();
    const owners = local.owners?.[sha256] ?? [];
    if (owners.includes(account)) return;
    await this.save({
      ...local,
      owners: { ...local.owners, [sha256]: [...owners, account] },
    });
  }

  private async forget(operationId: string): Promise<void> {
    const local = await this.local();
    await this.save({
      ...local,
      submitted: local.submitted.filter((s) => s.operationId !== operationId),
    });
  }

  /** jobs.json, read once: this client is its only writer. */
  private async local(): Promise<z.output<typeof LocalJobs>> {
    this.state ??= (await this.file.read()) ?? { submitted: [], files: {} };
    return this.state;
  }

  private async save(next: z.output<typeof LocalJobs>): Promise<void> {
    await this.file.write(next);
    this.state = next;
  }

  /** The last few files read or downloaded stay in memory: a run's results are asked for at once. */
  private remember(sha256: string, file: { path: string; mime: string; data: Buffer }) {
    this.recent.delete(sha256);
    this.recent.set(sha256, file);
    for (const old of this.recent.keys()) {
      if (this.recent.size <= RECENT_FILES) break;
      this.recent.delete(old);
    }
    return file;
  }

  private tell(view: JobView): void {
    this.told.set(view.jobId, view);
    // Only the jobs still being followed need remembering.
    if (this.told.size > 200)
      for (const id of this.told.keys()) if (!this.following.has(id)) this.told.delete(id);
    this.deps.onUpdate(view);
  }

  close(): void {
    for (const a of this.following.values()) a.abort();
    this.following.clear();
  }
}

const mimeOf = (path: string): string =>
  Object.entries(EXT).find(([, ext]) => path.endsWith(`.${ext}`))?.[0] ??
  'application/octet-stream';
