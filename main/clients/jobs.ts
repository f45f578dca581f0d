import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { JobOutput, JobView, SubmitJob, UploadResult } from '../../shared/ipc/types';
import { easelError } from '../core/errors';
import { JsonFile } from '../storage/json-file';
import type { HttpClient } from './http';

// shared/api/jobs.ts did not exist when this was written: the server's job shape is taken to be
// the IPC JobView without the local path, and extra fields are accepted.
const ServerOutput = JobOutput.omit({ localPath: true }).extend({
  localPath: z.string().nullable().optional(),
});
const ServerJob = z.object({ ...JobView.shape, outputs: z.array(ServerOutput) });
const ServerJobs = z.object({ jobs: z.array(ServerJob) });
const Dislike = z.object({ itemId: z.string(), credits: z.int(), seq: z.int().optional() });

const LocalJobs = z.strictObject({
  /** Submissions written before they are sent: a retry reuses the same operation id. */
  submitted: z.array(SubmitJob),
  /** Where each downloaded output sits in the gallery folder, by sha256. */
  files: z.record(z.string(), z.string()),
});

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'confirmed', 'discarded', 'expired']);
const EXT: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

export interface JobsDeps {
  http: HttpClient;
  dataDir: string;
  galleryDir: () => string;
  onUpdate: (job: JobView) => void;
  onLedgerMoved: () => Promise<void>;
  pollMs?: number;
}

/** Tool jobs (DESIGN section 8): submit, follow, download results to the gallery folder. */
export class JobsClient {
  private readonly file: JsonFile<typeof LocalJobs>;
  private readonly following = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: JobsDeps) {
    this.file = new JsonFile(join(deps.dataDir, 'jobs.json'), LocalJobs);
  }

  async upload(mime: string, base64: string) {
    return this.deps.http.json('POST', '/v1/uploads', {
      schema: UploadResult,
      body: { mime, base64 },
      timeoutMs: 120_000,
    });
  }

  async submit(job: z.output<typeof SubmitJob>): Promise<JobView> {
    const local = await this.local();
    if (!local.submitted.some((s) => s.operationId === job.operationId)) {
      await this.file.write({ ...local, submitted: [...local.submitted, job] });
    }
    const res = await this.deps.http.json('POST', '/v1/jobs', {
      schema: ServerJob,
      body: {
        operationId: job.operationId,
        tool: job.tool,
        params: job.params,
        expectedCredits: job.quote.credits,
        priceBookVersion: job.quote.priceBookVersion,
      },
    });
    const view = await this.withPaths(res);
    await this.forget(job.operationId);
    this.follow(view.jobId);
    await this.deps.onLedgerMoved();
    return view;
  }

  async list(): Promise<JobView[]> {
    const { jobs } = await this.deps.http.json('GET', '/v1/jobs', { schema: ServerJobs });
    return Promise.all(jobs.map((j) => this.withPaths(j)));
  }

  async action(jobId: string, action: 'cancel' | 'confirm' | 'discard'): Promise<JobView> {
    const res = await this.deps.http.json(
      'POST',
      `/v1/jobs/${encodeURIComponent(jobId)}/${action}`,
      { schema: ServerJob, body: { operationId: `${action}-${jobId}`.slice(0, 128) } },
    );
    await this.deps.onLedgerMoved();
    return this.withPaths(res);
  }

  async dislike(itemId: string): Promise<{ itemId: string; credits: number }> {
    const res = await this.deps.http.json(
      'POST',
      `/v1/items/${encodeURIComponent(itemId)}/dislike`,
      { schema: Dislike, body: { operationId: `dislike-${itemId}`.slice(0, 128) } },
    );
    await this.deps.onLedgerMoved();
    return { itemId: res.itemId, credits: res.credits };
  }

  /** A result file: from the gallery folder when downloaded, else from the server. */
  async fetchFile(sha256: string): Promise<{ mime: string; base64: string }> {
    const bytes = await this.download(sha256);
    return { mime: bytes.mime, base64: bytes.data.toString('base64') };
  }

  private follow(jobId: string): void {
    if (this.following.has(jobId)) return;
    const timer = setInterval(() => void this.poll(jobId), this.deps.pollMs ?? 1000);
    timer.unref();
    this.following.set(jobId, timer);
  }

  private async poll(jobId: string): Promise<void> {
    try {
      const job = await this.deps.http.json('GET', `/v1/jobs/${encodeURIComponent(jobId)}`, {
        schema: ServerJob,
      });
      const view = await this.withPaths(job);
      this.deps.onUpdate(view);
      if (TERMINAL.has(view.state) || view.state === 'awaiting-confirm') {
        clearInterval(this.following.get(jobId));
        this.following.delete(jobId);
        await this.deps.onLedgerMoved();
      }
    } catch {
      // offline or a server hiccup: the next tick tries again
    }
  }

  private async withPaths(job: z.output<typeof ServerJob>): Promise<JobView> {
    const outputs = [];
    for (const o of job.outputs) {
      let localPath: string | null = null;
      if (
        job.state === 'succeeded' ||
        job.state === 'awaiting-confirm' ||
        job.state === 'confirmed'
      ) {
        localPath = await this.download(o.sha256)
          .then((d) => d.path)
          .catch(() => null);
      }
      outputs.push({ ...o, localPath });
    }
    return JobView.parse({ ...job, outputs });
  }

  private async download(sha256: string): Promise<{ path: string; mime: string; data: Buffer }> {
    const local = await this.local();
    const known = local.files[sha256];
    if (known) {
      const data = await readFile(known).catch(() => null);
      if (data) return { path: known, mime: mimeOf(known), data };
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
    await this.file.write({ ...fresh, files: { ...fresh.files, [sha256]: path } });
    return { path, mime, data: bytes };
  }

  private async forget(operationId: string): Promise<void> {
    const local = await this.local();
    await this.file.write({
      ...local,
      submitted: local.submitted.filter((s) => s.operationId !== operationId),
    });
  }

  private async local() {
    return (await this.file.read()) ?? { submitted: [], files: {} };
  }

  close(): void {
    for (const t of this.following.values()) clearInterval(t);
    this.following.clear();
  }
}

const mimeOf = (path: string): string =>
  Object.entries(EXT).find(([, ext]) => path.endsWith(`.${ext}`))?.[0] ??
  'application/octet-stream';
