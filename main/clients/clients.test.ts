import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, PurchaseStatus } from '../../shared/ipc/types';
import { HttpClient } from './http';
import { JobsClient } from './jobs';
import { PurchasesClient } from './purchases';

// A small stand-in for the purchase and job routes being written on the server right now.
const png = Buffer.from('89504e470d0a1a0a-not-really-a-png');
const sha = createHash('sha256').update(png).digest('hex');
let purchaseState = 'pending';
const CHECKOUT = `chk_${'a'.repeat(32)}`;
let polls = 0;

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
  const job = (state: string) => ({
    jobId: 'job_1',
    operationId: 'op-job-0001',
    tool: 'generate',
    state,
    progress: state === 'running' ? 0.5 : 1,
    heldCredits: 6,
    capturedCredits: state === 'succeeded' ? 6 : null,
    error: null,
    outputs:
      state === 'succeeded'
        ? [
            {
              itemId: 'item_1',
              sha256: sha,
              width: 8,
              height: 8,
              mime: 'image/png',
              refundCredits: 6,
              disliked: false,
            },
          ]
        : [],
    createdAt: '2026-11-21T10:00:00.000Z',
    params: { prompt: 'a fox' },
  });
  if (url === '/v1/jobs') return send(201, job('running'));
  if (url === '/v1/jobs/job_1') return send(200, job(++polls > 1 ? 'succeeded' : 'running'));
  if (url === `/v1/files/${sha}`) {
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
    expect(started).toMatchObject({ sessionId: CHECKOUT, status: 'pending' });
    expect(opened).toEqual(['https://checkout.stripe.com/c/pay/cs_1']);
    purchaseState = 'credited';
    await purchases.handleReturn(CHECKOUT);
    expect(updates.at(-1)).toMatchObject({ status: 'credited' });
    expect(pulls).toBeGreaterThan(0);
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

  it('submits a job with its operation id stored first, follows it and downloads the result', async () => {
    const updates: JobView[] = [];
    const jobs = new JobsClient({
      http,
      dataDir: dir,
      galleryDir: () => join(dir, 'gallery'),
      onUpdate: (j) => updates.push(j),
      onLedgerMoved: async () => undefined,
      pollMs: 20,
    });
    const job = await jobs.submit({
      operationId: 'op-job-0001',
      tool: 'generate',
      params: { prompt: 'a fox' },
      quote: { credits: 6, priceBookVersion: 1 },
    });
    expect(job.state).toBe('running');
    for (let i = 0; i < 100 && updates.at(-1)?.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 20));
    const done = updates.at(-1)!;
    expect(done.state).toBe('succeeded');
    const path = done.outputs[0]!.localPath!;
    expect(await readFile(path)).toEqual(png);
    jobs.close();
  });
});
