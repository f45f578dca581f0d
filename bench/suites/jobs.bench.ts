/**
 * Jobs benchmarks. `ledger-latency-under-jobs`: the server (PGlite, the embedded default, whose
 * SQL runs on the server's own thread) runs two best-tier ESRGAN ×4 upscales in its engine pool
 * (concurrency 2) while a client in a separate process sends hold requests over HTTP one after
 * another. The value is the p99 latency of the holds made while both upscales were running.
 * The client is this same file run as a child process (EASEL_JOBS_BENCH_CLIENT), so its own
 * work does not share the server's event loop.
 */
import { fork } from 'node:child_process';
import { createLogger } from '../../shared/log/logger';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Job } from '../../shared/api/jobs';
import { quote } from '../../shared/pricing/quote';
import { testServerKey } from '../../shared/testing/ledger-fixture';
import { systemClock } from '../../server/clock';
import { migrate } from '../../server/db/migrations';
import { openPglite } from '../../server/db/pglite';
import { scenePng } from '../../server/engines/test-images';
import { buildApp } from '../../server/http/app';
import { createJobs, registerJobRoutes } from '../../server/jobs/index';
import { keysFromSecrets } from '../../server/keys';
import { createServices } from '../../server/services';
import type { Benchmark, BenchResult } from '../harness';

const CLIENT = 'EASEL_JOBS_BENCH_CLIENT';
const UPSCALE_SIZE = 320;
const TARGET_MS = 50;
const HOLD_ACCOUNTS = 20;

interface ClientSpec {
  url: string;
  /** Bearer tokens of the accounts the holds go to, in turn. */
  tokens: string[];
  /** Stop after this many holds; 0 = until the parent says stop. */
  count: number;
}

interface ClientReport {
  /** [epoch ms when the hold was sent, latency ms] */
  samples: Array<[number, number]>;
  errors: number;
}

/**
 * Child side: one hold after another, each timed from send to the end of the answer, and each
 * released right after (untimed), as a job would, so the accounts' open holds stay few as they
 * do for real users rather than piling up into thousands.
 */
async function clientMain(spec: ClientSpec): Promise<void> {
  let stop = false;
  process.on('message', () => {
    stop = true;
  });
  const samples: Array<[number, number]> = [];
  let errors = 0;
  const post = (path: string, token: string, body: unknown) =>
    fetch(`${spec.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  for (let i = 0; spec.count === 0 ? !stop : i < spec.count; i++) {
    const token = spec.tokens[i % spec.tokens.length]!;
    const sent = performance.now();
    const res = await post('/v1/ledger/holds', token, {
      operationId: `bench-${process.pid}-${i}`,
      amount: 1,
      purpose: { kind: 'job', jobId: `bench-${i}`, tool: 'bench' },
    });
    const hold = (await res.json()) as { holdId?: string };
    samples.push([performance.timeOrigin + sent, performance.now() - sent]);
    if (res.status !== 201 || !hold.holdId) {
      errors++;
      continue;
    }
    const released = await post(`/v1/ledger/holds/${hold.holdId}/release`, token, {
      operationId: `bench-${process.pid}-${i}-release`,
    });
    await released.arrayBuffer();
    if (released.status !== 200) errors++;
  }
  const report: ClientReport = { samples, errors };
  await new Promise<void>((resolve) => process.send?.(report, () => resolve()));
  process.exit(0);
}

function startClient(spec: ClientSpec): { stop(): void; report: Promise<ClientReport> } {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CLIENT]: JSON.stringify(spec) },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const report = new Promise<ClientReport>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ClientReport));
    child.once('exit', (code) =>
      reject(new Error(`bench client exited (${code}) without a report`)),
    );
    child.once('error', reject);
  });
  return { stop: () => child.send('stop'), report };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

const round = (n: number): number => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ledgerLatencyUnderJobs(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'easel-bench-jobs-'));
  const db = await openPglite();
  await migrate(db);
  const services = createServices({
    db,
    clock: systemClock,
    keys: keysFromSecrets(testServerKey.secretKey),
    auth: { signupBonus: null },
    log: createLogger('off'),
  });
  await services.catalog.seed();
  const jobs = createJobs(services, {
    dataDir,
    pool: { concurrency: 2 },
    sweepIntervalMs: 0,
  });
  const app = buildApp(services, {
    extend: (a, route, accountOf) => registerJobRoutes(a, route, accountOf, jobs),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    const account = async (email: string) => {
      const res = await fetch(`${url}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'correct horse battery' }),
      });
      const s = (await res.json()) as { accountId: string; token: string };
      await services.ledger.grant(s.accountId, {
        operationId: `fund-${s.accountId}`,
        amount: 1_000_000_000,
        source: 'promo',
        reason: 'bench',
      });
      return s;
    };
    const holders = await Promise.all(
      Array.from({ length: HOLD_ACCOUNTS }, (_, i) => account(`holds${i}@bench.example`)),
    );
    const tokens = holders.map((h) => h.token);
    const creator = await account('jobs@bench.example');
    const auth = { authorization: `Bearer ${creator.token}` };

    // Unloaded, for comparison (and to warm the server's paths).
    const idle = await startClient({ url, tokens, count: 300 }).report;

    const png = await scenePng(UPSCALE_SIZE);
    const up = (await (
      await fetch(`${url}/v1/uploads`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'image/png' },
        body: new Uint8Array(png),
      })
    ).json()) as { uploadId: string; width: number; height: number };
    const { book } = await services.catalog.priceBook();
    // The best tier: the heaviest engine work a user can start (server/engines/MODELS.md).
    const q = quote(book, {
      tool: 'upscale',
      factor: 4,
      width: up.width,
      height: up.height,
      tier: 'best',
    });
    const started: Job[] = [];
    for (const n of [1, 2]) {
      const res = await fetch(`${url}/v1/jobs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          operationId: `bench-upscale-${n}`,
          tool: 'upscale',
          params: { uploadId: up.uploadId, factor: 4, tier: 'best' },
          quote: { credits: q.credits, priceBookVersion: q.priceBookVersion },
        }),
      });
      if (res.status !== 201)
        throw new Error(`upscale job refused: ${res.status} ${await res.text()}`);
      started.push((await res.json()) as Job);
    }
    const states = async () =>
      Promise.all(started.map(async (j) => (await jobs.get(creator.accountId, j.jobId)).state));
    while ((await states()).some((s) => s !== 'running')) {
      if ((await states()).some((s) => s !== 'running' && s !== 'queued'))
        throw new Error(`an upscale ended before both ran: ${(await states()).join(', ')}`);
      await sleep(10);
    }

    const from = Date.now();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const gcPauses: number[] = [];
    const gc = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcPauses.push(entry.duration);
    });
    gc.observe({ entryTypes: ['gc'] });
    const client = startClient({ url, tokens, count: 0 });
    while ((await states()).every((s) => s === 'running')) await sleep(20);
    const to = Date.now();
    loop.disable();
    gc.disconnect();
    client.stop();
    const loaded = await client.report;
    for (;;) {
      const now = await states();
      if (now.every((s) => s !== 'running' && s !== 'queued')) {
        if (now.some((s) => s !== 'succeeded')) throw new Error(`upscales ended ${now.join(', ')}`);
        break;
      }
      await sleep(50);
    }

    const during = loaded.samples.filter(([at]) => at >= from && at <= to).map(([, ms]) => ms);
    if (during.length < 50) throw new Error(`only ${during.length} holds while the upscales ran`);
    if (loaded.errors > 0 || idle.errors > 0)
      throw new Error(`${loaded.errors + idle.errors} hold requests failed`);
    const idleMs = idle.samples.slice(50).map(([, ms]) => ms);
    return {
      value: round(percentile(during, 0.99)),
      unit: 'ms',
      baseline: TARGET_MS,
      better: 'lower',
      note: `p99 of sequential HTTP hold requests (client in another process, ${HOLD_ACCOUNTS} accounts in turn, each hold released untimed) while 2 best-tier ESRGAN ×4 upscales of ${UPSCALE_SIZE}×${UPSCALE_SIZE} run in the engine pool, on PGlite; target under ${TARGET_MS} ms`,
      extra: {
        holds: during.length,
        'window s': round((to - from) / 1000),
        'p50 ms': round(percentile(during, 0.5)),
        'max ms': round(Math.max(...during)),
        'idle p50 ms': round(percentile(idleMs, 0.5)),
        'idle p99 ms': round(percentile(idleMs, 0.99)),
        'event-loop delay p99 ms': round(loop.percentile(99) / 1e6),
        'longest GC pause ms': round(Math.max(0, ...gcPauses)),
      },
    };
  } finally {
    await app.close();
    await jobs.close();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const clientSpec = process.env[CLIENT];
if (clientSpec) await clientMain(JSON.parse(clientSpec) as ClientSpec);

export const benchmarks: Benchmark[] = [
  {
    id: 'ledger-latency-under-jobs',
    title: 'p99 latency of hold requests while 2 ESRGAN upscales run',
    run: ledgerLatencyUnderJobs,
  },
];
