import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateJobParams, Job, JobEvent, JobListResponse } from '../../shared/api/jobs';
import type { JobView, PurchaseStatus } from '../../shared/ipc/types';
import { HttpClient } from './http';
import { JobsClient } from './jobs';
import { PurchasesClient } from './purchases';

// A small stand-in for the server's purchase and job routes, speaking their real shapes.
const png = Buffer.from('89504e470d0a1a0a-not-really-a-png');
const sha = createHash('sha256').update(png).digest('hex');
let purchaseState = 'pending';
const CHECKOUT = `chk_${'a'.repeat(32)}`;
let polls = 0;
let streamEvents = true;
let fileGets = 0;
let serveFiles = true;
const submitted: unknown[] = [];
const uploaded: { type: string; bytes: Buffer }[] = [];
const generateParams: GenerateJobParams = {
  mode: 'text-to-image',
  prompt: 'a fox',
  model: 'easel-preview',
  width: 512,
  height: 512,
  steps: 20,
  seed: 7,
  count: 1,
};

function route(req: IncomingMessage, res: ServerResponse) {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const url = req.url ?? '';
  // Shapes of shared/api/purchases.ts (CreateCheckoutResponse, CheckoutStatusResponse).
  if (url === '/v1/purchases/checkout')
    return send(201, {
      sessionId: CHECKOUT,
      provider: 'stripe',
      url: 'https://checkout.stripe.com/c/pay/cs_1',
      status: 'open',
      expiresAt: '2026-11-22T00:00:00.000Z',
    });
  if (url === `/v1/purchases/${CHECKOUT}`)
    return send(200, {
      sessionId: CHECKOUT,
      provider: 'stripe',
      itemId: 'pack-500',
      status: purchaseState === 'credited' ? 'complete' : 'open',
      purchaseId: purchaseState === 'credited' ? 'pur_1' : null,
      seq: purchaseState === 'credited' ? 7 : null,
      reversed: false,
      createdAt: '2026-11-21T00:00:00.000Z',
      expiresAt: '2026-11-22T00:00:00.000Z',
    });
  // Shapes of shared/api/jobs.ts (Job, JobEvent, UploadResponse).
  const job = (state: Job['state']): Job => ({
    jobId: 'job_1',
    operationId: 'op-job-0001',
    tool: 'generate',
    state,
    progress: state === 'running' ? 0.5 : 1,
    params: generateParams,
    quote: { credits: 6, priceBookVersion: 1 },
    holdId: 'hold_1',
    holdExpiresAt: '2026-11-21T11:00:00.000Z',
    charged: state === 'succeeded' ? 6 : null,
    error: null,
    notice: null,
    provider: { id: 'easel-preview', label: 'Easel Preview (not AI)' },
    outputs:
      state === 'succeeded'
        ? [
            {
              index: 0,
              role: 'image',
              sha256: sha,
              url: `/v1/files/${sha}`,
              format: 'png',
              width: 8,
              height: 8,
              bytes: png.length,
              itemId: 'item_1',
              refundCredits: 6,
            },
          ]
        : [],
    createdAt: '2026-11-21T10:00:00.000Z',
    updatedAt: '2026-11-21T10:00:01.000Z',
    startedAt: '2026-11-21T10:00:00.500Z',
    finishedAt: state === 'succeeded' ? '2026-11-21T10:00:01.000Z' : null,
  });
  if (url === '/v1/uploads' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      uploaded.push({ type: req.headers['content-type'] ?? '', bytes: Buffer.concat(chunks) });
      send(201, {
        uploadId: 'up_1',
        sha256: sha,
        format: 'png',
        width: 8,
        height: 8,
        bytes: Buffer.concat(chunks).length,
      });
    });
    return;
  }
  if (url === '/v1/jobs' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      submitted.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      send(201, job('queued'));
    });
    return;
  }
  if (url === '/v1/jobs/job_1/events') {
    if (!streamEvents) return send(404, { error: { code: 'not-found', message: url } });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const events: JobEvent[] = [
      { type: 'state', job: job('running') },
      { type: 'progress', jobId: 'job_1', progress: 0.75 },
      { type: 'state', job: job('succeeded') },
    ];
    for (const e of events) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    return res.end();
  }
  if (url.startsWith('/v1/jobs?'))
    return send(200, { jobs: [job('succeeded')], next: null } satisfies JobListResponse);
  if (url === '/v1/jobs/job_1') return send(200, job(++polls > 1 ? 'succeeded' : 'running'));
  if (url === `/v1/files/${sha}`) {
    fileGets++;
    // The real server serves a file only to the account whose job made it.
    if (!serveFiles) return send(404, { error: { code: 'not-found', message: 'no such file' } });
    res.writeHead(200, { 'content-type': 'image/png' });
    return res.end(png);
  }
  return send(404, { error: { code: 'not-found', message: url } });
}

describe('purchases and jobs clients (stand-in server)', () => {
  let dir: string;
  let server: ReturnType<typeof createServer>;
  let http: HttpClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'easel-clients-'));
    server = createServer(route);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    http = new HttpClient({ baseUrl: () => `http://127.0.0.1:${port}`, token: async () => 't' });
  });
  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens checkout externally and reports the purchase once credited after the return link', async () => {
    const opened: string[] = [];
    const updates: PurchaseStatus[] = [];
    let pulls = 0;
    const purchases = new PurchasesClient({
      http,
      openExternal: async (url) => (opened.push(url), true),
      onUpdate: (s) => updates.push(s),
      onCredited: async () => void pulls++,
      pollMs: 60_000,
    });
    const started = await purchases.startCheckout('pack-500');
    expect(started).toMatchObject({ sessionId: CHECKOUT, status: 'pending', opened: true });
    expect(opened).toEqual(['https://checkout.stripe.com/c/pay/cs_1']);
    expect(started.checkoutUrl).toBe('https://checkout.stripe.com/c/pay/cs_1');
    purchaseState = 'credited';
    await purchases.handleReturn(CHECKOUT);
    expect(updates.at(-1)).toMatchObject({ status: 'credited' });
    expect(pulls).toBeGreaterThan(0);
    purchases.close();
  });

  it('with no system browser (browser mode), hands the checkout page to the renderer', async () => {
    const purchases = new PurchasesClient({
      http,
      openExternal: async () => false,
      onUpdate: () => undefined,
      onCredited: async () => undefined,
      pollMs: 60_000,
    });
    const started = await purchases.startCheckout('pack-500');
    expect(started).toMatchObject({
      status: 'pending',
      opened: false,
      checkoutUrl: 'https://checkout.stripe.com/c/pay/cs_1',
      message: null,
    });
    purchases.close();
  });

  it('says clearly when the purchase does not arrive in time', async () => {
    purchaseState = 'pending';
    const updates: PurchaseStatus[] = [];
    const purchases = new PurchasesClient({
      http,
      openExternal: async () => true,
      onUpdate: (s) => updates.push(s),
      onCredited: async () => undefined,
      pollMs: 20,
      giveUpMs: 50,
    });
    await purchases.startCheckout('pack-500');
    await new Promise((r) => setTimeout(r, 200));
    expect(updates.at(-1)).toMatchObject({ status: 'timed-out' });
    expect(updates.at(-1)?.message).toMatch(/has not reached your wallet/);
    purchases.close();
  });

  const jobsClient = (updates: JobView[], ledgerMovedMs = 0, account: string | null = 'acct_a') =>
    new JobsClient({
      http,
      accountId: () => account,
      dataDir: dir,
      galleryDir: () => join(dir, 'gallery'),
      onUpdate: (j) => updates.push(j),
      onLedgerMoved: () => new Promise((r) => setTimeout(r, ledgerMovedMs)),
      pollMs: 20,
    });
  const waitFor = async (updates: JobView[], state: JobView['state']) => {
    for (let i = 0; i < 100 && updates.at(-1)?.state !== state; i++)
      await new Promise((r) => setTimeout(r, 20));
    return updates.at(-1)!;
  };

  it('submits a job in the server schema, follows its event stream and downloads the result', async () => {
    const updates: JobView[] = [];
    const jobs = jobsClient(updates);
    const job = await jobs.submit({
      operationId: 'op-job-0001',
      tool: 'generate',
      params: generateParams,
      quote: { credits: 6, priceBookVersion: 1 },
    });
    expect(submitted.at(-1)).toEqual({
      operationId: 'op-job-0001',
      tool: 'generate',
      params: generateParams,
      quote: { credits: 6, priceBookVersion: 1 },
    });
    expect(job).toMatchObject({ state: 'queued', heldCredits: 6, capturedCredits: null });
    const done = await waitFor(updates, 'succeeded');
    expect(done).toMatchObject({ state: 'succeeded', heldCredits: 6, capturedCredits: 6 });
    expect(updates.some((u) => u.progress === 0.75)).toBe(true);
    expect(done.outputs[0]).toMatchObject({
      itemId: 'item_1',
      mime: 'image/png',
      refundCredits: 6,
      disliked: false,
    });
    expect(await readFile(done.outputs[0]!.localPath!)).toEqual(png);
    jobs.close();
  });

  it('serves a downloaded result only to the account it was made for; others ask the server', async () => {
    const updates: JobView[] = [];
    const mine = jobsClient(updates);
    await mine.submit({
      operationId: 'op-job-0001',
      tool: 'generate',
      params: generateParams,
      quote: { credits: 6, priceBookVersion: 1 },
    });
    await waitFor(updates, 'succeeded');
    fileGets = 0;
    expect(await mine.fileBytes(sha)).toEqual({ mime: 'image/png', data: png });
    expect(fileGets).toBe(0); // from the gallery folder
    mine.close();
    serveFiles = false;
    try {
      const other = jobsClient([], 0, 'acct_b');
      await expect(other.fileBytes(sha)).rejects.toMatchObject({ details: { status: 404 } });
      expect(fileGets).toBe(1); // the server was asked, and refused
      await expect(jobsClient([], 0, null).fileBytes(sha)).rejects.toMatchObject({
        code: 'not-signed-in',
      });
      expect(fileGets).toBe(1);
    } finally {
      serveFiles = true;
    }
  });

  it('a job that changes while its submit is answering is answered in its newer state', async () => {
    // The engine finished (or failed) before the ledger refresh after the submit was done: the
    // renderer applies the submit's answer after the updates, so it must not be the older state.
    const updates: JobView[] = [];
    const jobs = jobsClient(updates, 400);
    const answer = await jobs.submit({
      operationId: 'op-job-0001',
      tool: 'generate',
      params: generateParams,
      quote: { credits: 6, priceBookVersion: 1 },
    });
    expect(updates.at(-1)?.state).toBe('succeeded');
    expect(answer.state).toBe('succeeded');
    jobs.close();
  });

  it('polls the job when its event stream is not available', async () => {
    streamEvents = false;
    polls = 0;
    const updates: JobView[] = [];
    const jobs = jobsClient(updates);
    await jobs.submit({
      operationId: 'op-job-0001',
      tool: 'generate',
      params: generateParams,
      quote: { credits: 6, priceBookVersion: 1 },
    });
    expect((await waitFor(updates, 'succeeded')).state).toBe('succeeded');
    expect(polls).toBeGreaterThan(1);
    jobs.close();
  });

  it('refuses params the server would refuse, before sending', async () => {
    const jobs = jobsClient([]);
    const before = submitted.length;
    await expect(
      jobs.submit({
        operationId: 'op-job-0002',
        tool: 'generate',
        params: { ...generateParams, tool: 'generate' },
        quote: { credits: 6, priceBookVersion: 1 },
      }),
    ).rejects.toMatchObject({ code: 'invalid-params' });
    expect(submitted.length).toBe(before);
    jobs.close();
  });

  it('uploads the raw image bytes and lists jobs as IPC views', async () => {
    const jobs = jobsClient([]);
    const r = await jobs.upload('image/png', png.toString('base64'));
    expect(r).toEqual({ uploadId: 'up_1', width: 8, height: 8, format: 'png' });
    expect(uploaded.at(-1)).toEqual({ type: 'image/png', bytes: png });
    const list = await jobs.list();
    expect(list.map((j) => [j.jobId, j.state, j.capturedCredits])).toEqual([
      ['job_1', 'succeeded', 6],
    ]);
    jobs.close();
  });
});
