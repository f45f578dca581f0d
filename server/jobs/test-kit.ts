/**
 * Test helpers for the jobs suites: a migrated test server with the jobs routes on top, funded
 * accounts, uploads, jobs started with the quote a client would compute, and waiting for states.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Job, JobState } from '../../shared/api/jobs';
import { PriceBook } from '../../shared/pricing/book';
import { quote } from '../../shared/pricing/quote';
import type { QuoteRequest } from '../../shared/pricing/request';
import { buildApp } from '../http/app';
import { type Backend, type TestServer, opId, signUp, testServer } from '../testing/harness';
import type { JobsConfig } from './config';
import { type Jobs, createJobs, registerJobRoutes } from './index';

export interface JobsTestServer {
  t: TestServer;
  app: FastifyInstance;
  jobs: Jobs;
  dataDir: string;
  /** Another Jobs instance on the same database (a second instance, or the process after a restart). */
  another(config?: Partial<JobsConfig>): Promise<{ app: FastifyInstance; jobs: Jobs }>;
  close(): Promise<void>;
}

export type Headers = Record<string, string>;

export async function jobsTestServer(
  backend: Backend,
  config: Partial<JobsConfig> = {},
  start = '2026-11-02T10:00:00.000Z',
): Promise<JobsTestServer> {
  const t = await testServer(backend, { start });
  const dataDir = await mkdtemp(join(tmpdir(), 'easel-jobs-'));
  const extra: Array<{ app: FastifyInstance; jobs: Jobs }> = [];
  const make = async (c: Partial<JobsConfig>) => {
    const jobs = createJobs(t.services, {
      dataDir,
      sweepIntervalMs: 0,
      heartbeatMs: 0,
      eventsPollMs: 200,
      ...c,
    });
    const app = buildApp(t.services, {
      extend: (a, route, accountOf) => registerJobRoutes(a, route, accountOf, jobs),
    });
    await app.ready();
    return { app, jobs };
  };
  const main = await make(config);
  return {
    t,
    ...main,
    dataDir,
    async another(c = {}) {
      const made = await make({ ...config, ...c });
      extra.push(made);
      return made;
    },
    async close() {
      for (const x of [main, ...extra]) {
        await x.app.close();
        await x.jobs.close();
      }
      await t.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function funded(s: JobsTestServer, amount = 200) {
  const u = await signUp(s.app);
  await s.t.services.ledger.grant(u.accountId, {
    operationId: opId('fund'),
    amount,
    source: 'promo',
    reason: 'test',
  });
  return u;
}

export async function upload(
  s: JobsTestServer,
  headers: Headers,
  bytes: Buffer,
  type = 'image/png',
) {
  const res = await s.app.inject({
    method: 'POST',
    url: '/v1/uploads',
    headers: { ...headers, 'content-type': type },
    payload: bytes,
  });
  return res;
}

export async function uploadId(
  s: JobsTestServer,
  headers: Headers,
  bytes: Buffer,
): Promise<{ uploadId: string; width: number; height: number }> {
  const res = await upload(s, headers, bytes);
  if (res.statusCode !== 201) throw new Error(`upload failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

async function priceBook(s: JobsTestServer): Promise<PriceBook> {
  return PriceBook.parse(
    (await s.app.inject({ method: 'GET', url: '/v1/price-book' })).json().book,
  );
}

/** The quote a client computes for a job, with the shared pricing code and the published book. */
export async function quoteFor(s: JobsTestServer, request: QuoteRequest) {
  const book = await priceBook(s);
  const q = quote(book, request);
  return { credits: q.credits, priceBookVersion: q.priceBookVersion };
}

export async function postJob(s: JobsTestServer, headers: Headers, body: unknown, app = s.app) {
  return app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: body as object });
}

export async function startJob(
  s: JobsTestServer,
  headers: Headers,
  body: unknown,
  app = s.app,
): Promise<Job> {
  const res = await postJob(s, headers, body, app);
  if (res.statusCode !== 201) throw new Error(`job refused: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function getJob(s: JobsTestServer, headers: Headers, jobId: string, app = s.app) {
  return app.inject({ method: 'GET', url: `/v1/jobs/${jobId}`, headers });
}

/** Polls the job until `until` holds (default: it has left queued and running). */
export async function waitJob(
  s: JobsTestServer,
  headers: Headers,
  jobId: string,
  until: (job: Job) => boolean = (j) => j.state !== 'queued' && j.state !== 'running',
  timeoutMs = 30_000,
  app = s.app,
): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await getJob(s, headers, jobId, app);
    if (res.statusCode !== 200) throw new Error(`job ${jobId}: ${res.statusCode} ${res.body}`);
    const job: Job = res.json();
    if (until(job)) return job;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const inState =
  (...states: JobState[]) =>
  (job: Job) =>
    states.includes(job.state);

export async function balance(s: JobsTestServer, headers: Headers) {
  const res = await s.app.inject({ method: 'GET', url: '/v1/ledger/balance', headers });
  return res.json().balances.image as { balance: number; held: number; available: number };
}

export interface EntryBody {
  type: string;
  amount?: number;
  reason?: string;
  holdId?: string;
  itemId?: string;
  purpose?: { kind: string; jobId?: string; tool?: string; summary?: string };
}

/** The account's ledger entries (bodies), oldest first. */
export async function entries(s: JobsTestServer, headers: Headers): Promise<EntryBody[]> {
  const res = await s.app.inject({ method: 'GET', url: '/v1/ledger/entries?after=0', headers });
  return res.json().entries.map((e: { body: string }) => JSON.parse(e.body) as EntryBody);
}

/** The entries about one hold: its hold, then its capture or release. */
export async function holdHistory(s: JobsTestServer, headers: Headers, holdId: string | null) {
  return (await entries(s, headers))
    .filter((e) => e.holdId === holdId)
    .map((e) => ({ type: e.type, amount: e.amount, ...(e.reason ? { reason: e.reason } : {}) }));
}

export async function rowCount(
  s: JobsTestServer,
  table: 'jobs' | 'uploads' | 'job_outputs' | 'items',
  accountId: string,
): Promise<number> {
  const { rows } = await s.t.db.query<{ n: number }>(
    `select count(*)::int as n from ${table} where account_id = $1`,
    [accountId],
  );
  return rows[0]?.n ?? 0;
}

/** Parses a Server-Sent Events body into its events. */
export function parseSse(body: string): Array<{ event: string; data: unknown }> {
  return body
    .split('\n\n')
    .map((block) => block.split('\n').filter((l) => !l.startsWith(':')))
    .filter((lines) => lines.length > 0 && lines.some((l) => l.startsWith('data:')))
    .map((lines) => ({
      event:
        lines
          .find((l) => l.startsWith('event:'))
          ?.slice(6)
          .trim() ?? 'message',
      data: JSON.parse(
        lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n'),
      ) as unknown,
    }));
}

export { opId, signUp };

/** A generate job for a configured provider (model 'standard'); with a hanging stand-in it stays running. */
export async function hangingJob(s: JobsTestServer, headers: Headers, app = s.app): Promise<Job> {
  const q = await quoteFor(s, {
    tool: 'generate',
    mode: 'text-to-image',
    width: 64,
    height: 64,
    steps: 10,
    model: 'standard',
    count: 1,
  });
  return startJob(
    s,
    headers,
    {
      operationId: opId(),
      tool: 'generate',
      params: {
        mode: 'text-to-image',
        prompt: 'a slow picture',
        model: 'standard',
        width: 64,
        height: 64,
        steps: 10,
        seed: 7,
        count: 1,
      },
      quote: q,
    },
    app,
  );
}
