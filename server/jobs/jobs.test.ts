import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobs';
import { excerpt } from '../../shared/ledger/summary';
import { MINUTE } from '../clock';
import { ballPng, gradientPng } from '../engines/test-images';
import { backends } from '../testing/harness';
import {
  type OpenaiJobsServer,
  openaiJobsServer,
  requests,
  smallRun,
} from '../testing/jobs-fixture';
import {
  answer,
  firstThen,
  gated,
  hang,
  withModelList,
  openaiErrors,
  openaiImages,
} from './stand-ins';
import {
  type Headers,
  balance,
  entries,
  funded,
  getJob,
  holdHistory,
  inState,
  opId,
  parseSse,
  quoteFor,
  startJob,
  uploadId,
  waitJob,
} from './test-kit';
import { parseParams } from './view';

const generate = (over: Record<string, unknown> = {}) => ({ ...smallRun(), ...over });

describe.each(backends)('jobs and their ledger outcomes on %s', (backend) => {
  let s: OpenaiJobsServer;
  beforeAll(async () => {
    s = await openaiJobsServer(backend, { maxQueue: 4, timeoutMs: 10_000 });
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.provider.handler = openaiImages;
  });
  const { post } = requests(() => s);

  async function generateJob(headers: Headers, params: Record<string, unknown>): Promise<Job> {
    const p = generate(params);
    const q = await quoteFor(s, {
      tool: 'generate',
      mode: 'text-to-image',
      width: p.width as number,
      height: p.height as number,
      steps: p.steps as number,
      model: p.model as string,
      count: p.count as number,
    });
    return startJob(s, headers, { operationId: opId(), tool: 'generate', params: p, quote: q });
  }

  async function upscaleJob(
    headers: Headers,
    image: Buffer,
    mode: 'lanczos' | 'esrgan' = 'lanczos',
  ) {
    const up = await uploadId(s, headers, image);
    const q = await quoteFor(s, { tool: 'upscale', factor: 2, width: up.width, height: up.height });
    return startJob(s, headers, {
      operationId: opId(),
      tool: 'upscale',
      params: { uploadId: up.uploadId, factor: 2, mode },
      quote: q,
    });
  }

  async function cutoutJob(headers: Headers, size: number) {
    const up = await uploadId(s, headers, await ballPng(size, size));
    const q = await quoteFor(s, { tool: 'cutout', width: up.width, height: up.height });
    return startJob(s, headers, {
      operationId: opId(),
      tool: 'cutout',
      params: { uploadId: up.uploadId },
      quote: q,
    });
  }

  it('upscale: holds the quote, captures it on success, and serves the result to its owner only', async () => {
    const u = await funded(s);
    const other = await funded(s);
    const before = await balance(s, u.headers);
    const queued = await upscaleJob(u.headers, await gradientPng(64, 48));
    expect(queued).toMatchObject({ tool: 'upscale', quote: { credits: 1 }, charged: null });
    expect(['queued', 'running']).toContain(queued.state); // the pool may have picked it up already
    expect(queued.holdId).toMatch(/^hold_/);
    const job = await waitJob(s, u.headers, queued.jobId);
    expect(job).toMatchObject({ state: 'succeeded', progress: 1, charged: 1, error: null });
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([
      { type: 'hold', amount: 1 },
      { type: 'capture', amount: 1 },
    ]);
    expect(await balance(s, u.headers)).toMatchObject({
      balance: before.balance - 1,
      held: 0,
    });
    const out = job.outputs[0]!;
    expect(out).toMatchObject({
      role: 'image',
      format: 'png',
      width: 128,
      height: 96,
      itemId: null,
    });
    const file = await s.app.inject({ method: 'GET', url: out.url, headers: u.headers });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(await sharp(file.rawPayload).metadata()).toMatchObject({ width: 128, height: 96 });
    // The hold names the job, so the ledger says what the credits paid for.
    const hold = (await entries(s, u.headers)).find((e) => e.holdId === job.holdId);
    expect(hold?.purpose).toEqual({
      kind: 'job',
      jobId: job.jobId,
      tool: 'upscale',
      summary: 'Upscale ×2',
    });

    // Another account sees none of it.
    expect((await getJob(s, other.headers, job.jobId)).statusCode).toBe(404);
    expect(
      (await s.app.inject({ method: 'GET', url: out.url, headers: other.headers })).statusCode,
    ).toBe(404);
    expect((await post(`/v1/jobs/${job.jobId}/cancel`, other.headers)).statusCode).toBe(404);
    const theirs = await s.app.inject({ method: 'GET', url: '/v1/jobs', headers: other.headers });
    expect(theirs.json().jobs).toEqual([]);
    const mine = await s.app.inject({ method: 'GET', url: '/v1/jobs', headers: u.headers });
    expect(mine.json().jobs.map((j: Job) => j.jobId)).toEqual([job.jobId]);
    expect((await post(`/v1/jobs/${job.jobId}/cancel`, u.headers)).json().error.code).toBe(
      'job-finished',
    );
  });

  it('streams state and progress over Server-Sent Events until the job is final', async () => {
    const u = await funded(s);
    const gate = gated(openaiImages);
    s.provider.handler = withModelList(gate.handler);
    const job = await generateJob(u.headers, { model: 'standard', count: 2 });
    await waitJob(s, u.headers, job.jobId, inState('running'));
    const stream = s.app.inject({
      method: 'GET',
      url: `/v1/jobs/${job.jobId}/events`,
      headers: u.headers,
    });
    await new Promise((r) => setTimeout(r, 100));
    gate.open();
    const res = await stream;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = parseSse(res.body);
    const states = events
      .filter((e) => e.event === 'state')
      .map((e) => (e.data as { job: Job }).job.state);
    expect(states[0]).toBe('running');
    expect(states.at(-1)).toBe('succeeded');
    const progress = events
      .filter((e) => e.event === 'progress')
      .map((e) => (e.data as { progress: number }).progress);
    expect(progress).toContain(0.5);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('generate with the offline preview: 6 credits an image, labelled as not AI; a disliked image is refunded once', async () => {
    const u = await funded(s);
    const job = await waitJob(s, u.headers, (await generateJob(u.headers, { count: 2 })).jobId);
    expect(job).toMatchObject({ state: 'succeeded', charged: 12, quote: { credits: 12 } });
    expect(job.provider?.id).toBe('easel-preview');
    expect(job.provider?.label).toMatch(/not AI/);
    expect(job.outputs).toHaveLength(2);
    expect(job.outputs.map((o) => o.refundCredits)).toEqual([4, 4]);
    expect(job.outputs[0]!.sha256).not.toBe(job.outputs[1]!.sha256); // seed, seed + 1
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([
      { type: 'hold', amount: 12 },
      { type: 'capture', amount: 12 },
    ]);
    const after = await balance(s, u.headers);
    const itemId = job.outputs[0]!.itemId!;
    const first = await post(`/v1/items/${itemId}/dislike`, u.headers, { operationId: opId() });
    expect(first.statusCode).toBe(201);
    expect(first.json().credits).toBe(4);
    const again = await post(`/v1/items/${itemId}/dislike`, u.headers, { operationId: opId() });
    expect(again.json().error.code).toBe('already-refunded');
    expect((await balance(s, u.headers)).balance).toBe(after.balance + 4);
    const refunds = (await entries(s, u.headers)).filter((e) => e.type === 'refund');
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ itemId, amount: 4 });
  });

  it('a job’s hold carries its prompt excerpt or settings in the signed ledger, for History', async () => {
    const u = await funded(s);
    const prompt = `a red lighthouse at sunset ${'with gulls '.repeat(20)}`;
    const gen = await generateJob(u.headers, { prompt, model: 'easel-preview' });
    const up = await upscaleJob(u.headers, await gradientPng(64, 48));
    await waitJob(s, u.headers, gen.jobId);
    await waitJob(s, u.headers, up.jobId);
    const holds = (await entries(s, u.headers)).filter((e) => e.type === 'hold');
    const summary = (jobId: string) => holds.find((h) => h.purpose?.jobId === jobId)?.purpose;
    expect(summary(gen.jobId)).toMatchObject({ tool: 'generate', summary: excerpt(prompt) });
    expect(excerpt(prompt)).toMatch(/^a red lighthouse at sunset with gulls .*…$/);
    expect(excerpt(prompt).length).toBeLessThanOrEqual(80);
    expect(summary(up.jobId)).toMatchObject({ tool: 'upscale', summary: 'Upscale ×2' });
  });

  it('generate: when the provider fails part-way, only the images made are charged', async () => {
    const u = await funded(s);
    s.provider.handler = withModelList(
      firstThen(2, openaiImages, answer(openaiErrors.serverError)),
    );
    const job = await waitJob(
      s,
      u.headers,
      (await generateJob(u.headers, { model: 'standard', count: 4 })).jobId,
    );
    expect(job).toMatchObject({ state: 'succeeded', charged: 12, quote: { credits: 24 } });
    expect(job.outputs.filter((o) => o.itemId !== null)).toHaveLength(2);
    expect(job.notice).toMatch(/2 of 4 images/);
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([
      { type: 'hold', amount: 24 },
      { type: 'capture', amount: 12 },
    ]);
    expect((await balance(s, u.headers)).held).toBe(0);
  });

  it('generate: a provider error fails the job and releases the whole hold', async () => {
    const u = await funded(s);
    const before = await balance(s, u.headers);
    s.provider.handler = withModelList(answer(openaiErrors.invalidKey));
    const job = await waitJob(s, u.headers, (await generateJob(u.headers, { model: 'pro' })).jobId);
    expect(job).toMatchObject({ state: 'failed', charged: 0, outputs: [] });
    expect(job.error?.code).toBe('provider-auth');
    expect(job.error?.message).toMatch(
      /refused the key \(Incorrect API key.*Check the key in Settings/,
    );
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([
      { type: 'hold', amount: 9 },
      { type: 'release', amount: 9, reason: 'failed' },
    ]);
    expect(await balance(s, u.headers)).toMatchObject({ balance: before.balance, held: 0 });
  });

  it('cancel: a running and a queued job are cancelled and released', async () => {
    const u = await funded(s);
    s.provider.handler = withModelList(hang);
    const running = await generateJob(u.headers, { model: 'standard' });
    await waitJob(s, u.headers, running.jobId, inState('running'));
    const queued = await upscaleJob(u.headers, await gradientPng(40, 40));
    expect((await getJob(s, u.headers, queued.jobId)).json().state).toBe('queued');

    const c1 = await post(`/v1/jobs/${queued.jobId}/cancel`, u.headers);
    expect(c1.statusCode).toBe(200);
    expect(c1.json()).toMatchObject({ state: 'cancelled', charged: 0 });
    const c2 = await post(`/v1/jobs/${running.jobId}/cancel`, u.headers);
    expect(c2.json()).toMatchObject({ state: 'cancelled', charged: 0 });
    expect((await post(`/v1/jobs/${running.jobId}/cancel`, u.headers)).statusCode).toBe(200);

    expect(await holdHistory(s, u.headers, running.holdId)).toEqual([
      { type: 'hold', amount: 6 },
      { type: 'release', amount: 6, reason: 'cancelled' },
    ]);
    expect(await holdHistory(s, u.headers, queued.holdId)).toEqual([
      { type: 'hold', amount: 1 },
      { type: 'release', amount: 1, reason: 'cancelled' },
    ]);
    // The provider request was abandoned, and the pool is free for the next job.
    await expect.poll(() => s.provider.hanging, { timeout: 5000 }).toBe(0);
    s.provider.handler = openaiImages;
    const next = await waitJob(
      s,
      u.headers,
      (await upscaleJob(u.headers, await gradientPng(40, 40))).jobId,
    );
    expect(next.state).toBe('succeeded');
    expect((await balance(s, u.headers)).held).toBe(0);
  });

  it('cutout: waits for confirmation; confirm captures, discard releases, an unconfirmed result expires with its hold', async () => {
    const u = await funded(s);
    const [a, b, c, d] = [
      await cutoutJob(u.headers, 64),
      await cutoutJob(u.headers, 72),
      await cutoutJob(u.headers, 80),
      await cutoutJob(u.headers, 88),
    ];
    // Four real U²-Netp inferences: on two busy cores they can take more than the usual 30 s.
    const awaiting = await Promise.all(
      [a!, b!, c!, d!].map((j) => waitJob(s, u.headers, j.jobId, undefined, 120_000)),
    );
    for (const j of awaiting) {
      expect(j).toMatchObject({ state: 'awaiting-confirm', charged: null, progress: 1 });
      expect(j.outputs.map((o) => o.role)).toEqual(['image', 'mask']);
    }
    expect((await balance(s, u.headers)).held).toBe(4);
    // The result can be looked at before deciding.
    const preview = await s.app.inject({
      method: 'GET',
      url: awaiting[1]!.outputs[0]!.url,
      headers: u.headers,
    });
    expect(preview.statusCode).toBe(200);
    expect((await sharp(preview.rawPayload).metadata()).hasAlpha).toBe(true);

    const confirmed = await post(`/v1/jobs/${a!.jobId}/confirm`, u.headers);
    expect(confirmed.json()).toMatchObject({ state: 'confirmed', charged: 1 });
    expect((await post(`/v1/jobs/${a!.jobId}/confirm`, u.headers)).statusCode).toBe(200);
    expect((await post(`/v1/jobs/${a!.jobId}/discard`, u.headers)).json().error.code).toBe(
      'job-not-awaiting-confirm',
    );
    expect(await holdHistory(s, u.headers, a!.holdId)).toEqual([
      { type: 'hold', amount: 1 },
      { type: 'capture', amount: 1 },
    ]);

    const discarded = await post(`/v1/jobs/${b!.jobId}/discard`, u.headers);
    expect(discarded.json()).toMatchObject({ state: 'discarded', charged: 0, outputs: [] });
    expect(await holdHistory(s, u.headers, b!.holdId)).toEqual([
      { type: 'hold', amount: 1 },
      { type: 'release', amount: 1, reason: 'discarded' },
    ]);
    // A discarded result is no longer served.
    expect(
      (await s.app.inject({ method: 'GET', url: awaiting[1]!.outputs[0]!.url, headers: u.headers }))
        .statusCode,
    ).toBe(404);

    // 15 minutes pass without an answer: the holds lapse.
    s.t.clock.advance(16 * MINUTE);
    const late = await post(`/v1/jobs/${c!.jobId}/confirm`, u.headers);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('job-expired');
    expect((await getJob(s, u.headers, c!.jobId)).json()).toMatchObject({
      state: 'expired',
      charged: 0,
    });
    expect(await holdHistory(s, u.headers, c!.holdId)).toEqual([
      { type: 'hold', amount: 1 },
      { type: 'release', amount: 1, reason: 'expired' },
    ]);
    // The periodic sweep marks the other one without anybody asking.
    expect(await s.jobs.sweep()).toBe(1);
    const swept = await s.t.db.query<{ state: string }>('select state from jobs where id = $1', [
      d!.jobId,
    ]);
    expect(swept.rows[0]?.state).toBe('expired');
    expect((await post(`/v1/jobs/${d!.jobId}/confirm`, u.headers)).json().error.code).toBe(
      'job-expired',
    );
    expect((await balance(s, u.headers)).held).toBe(0);
  }, 180_000);

  it('replays an operation id with the same job and one hold, and refuses it for another job', async () => {
    const u = await funded(s);
    const up = await uploadId(s, u.headers, await gradientPng(32, 32));
    const q = await quoteFor(s, { tool: 'upscale', factor: 4, width: 32, height: 32 });
    const body = {
      operationId: opId(),
      tool: 'upscale',
      params: { uploadId: up.uploadId, factor: 4, mode: 'lanczos' },
      quote: q,
    };
    const [first, second] = await Promise.all([
      post('/v1/jobs', u.headers, body),
      post('/v1/jobs', u.headers, body),
    ]);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json().jobId).toBe(first.json().jobId);
    const done = await waitJob(s, u.headers, first.json().jobId);
    const third = await post('/v1/jobs', u.headers, body);
    expect(third.json()).toMatchObject({ jobId: done.jobId, state: 'succeeded' });
    const holds = (await entries(s, u.headers)).filter((e) => e.type === 'hold');
    expect(holds).toHaveLength(1);
    const other = await post('/v1/jobs', u.headers, {
      ...body,
      params: { ...body.params, mode: 'esrgan' },
    });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('operation-id-reused');
  });

  it('a new price book: the old quote is answered with the fresh one; a free tool holds nothing', async () => {
    const u = await funded(s);
    const up = await uploadId(s, u.headers, await gradientPng(36, 36));
    const old = await quoteFor(s, { tool: 'filter', preset: 'mono', width: 36, height: 36 });
    const current = (await s.t.services.catalog.priceBook()).book;
    await s.t.services.catalog.publishPriceBook({
      ...current,
      version: current.version + 1,
      tools: {
        ...current.tools,
        filter: { ...current.tools.filter!, price: { type: 'flat', credits: 0 } },
      },
    });
    const body = (quote: unknown) => ({
      operationId: opId(),
      tool: 'filter',
      params: { uploadId: up.uploadId, preset: 'mono', strength: 50 },
      quote,
    });
    const stale = await post('/v1/jobs', u.headers, body(old));
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({
      code: 'quote-changed',
      details: { credits: 0, priceBookVersion: current.version + 1 },
    });
    const seq = (await entries(s, u.headers)).length;
    const fresh = stale.json().error.details;
    const free = await post(
      '/v1/jobs',
      u.headers,
      body({ credits: fresh.credits, priceBookVersion: fresh.priceBookVersion }),
    );
    expect(free.statusCode).toBe(201);
    const job = await waitJob(s, u.headers, free.json().jobId);
    expect(job).toMatchObject({
      state: 'succeeded',
      charged: 0,
      holdId: null,
      quote: { credits: 0 },
    });
    expect(job.outputs[0]).toMatchObject({ width: 36, height: 36 });
    expect((await entries(s, u.headers)).length).toBe(seq); // nothing held, nothing captured
  });

  it('upscale tiers: the best tier holds and captures its own price; jobs from before tiers still read', async () => {
    const u = await funded(s);
    const up = await uploadId(s, u.headers, await gradientPng(20, 16));
    const fast = await quoteFor(s, { tool: 'upscale', factor: 4, width: 20, height: 16 });
    const best = await quoteFor(s, {
      tool: 'upscale',
      factor: 4,
      width: 20,
      height: 16,
      tier: 'best',
    });
    expect([fast.credits, best.credits]).toEqual([1, 2]);
    // The fast price for a best job is a stale quote: answered with the best price, nothing held.
    const stale = await post('/v1/jobs', u.headers, {
      operationId: opId(),
      tool: 'upscale',
      params: { uploadId: up.uploadId, factor: 4, tier: 'best' },
      quote: fast,
    });
    expect([stale.statusCode, stale.json().error.code]).toEqual([409, 'quote-changed']);
    const queued = await startJob(s, u.headers, {
      operationId: opId(),
      tool: 'upscale',
      params: { uploadId: up.uploadId, factor: 4, tier: 'best' },
      quote: best,
    });
    const job = await waitJob(s, u.headers, queued.jobId, undefined, 120_000);
    expect(job).toMatchObject({
      state: 'succeeded',
      charged: 2,
      params: { uploadId: up.uploadId, factor: 4, tier: 'best' },
    });
    expect(job.outputs[0]).toMatchObject({ width: 80, height: 64 });
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([
      { type: 'hold', amount: 2 },
      { type: 'capture', amount: 2 },
    ]);
    // A job stored before tiers ({ mode: 'esrgan' }, no tier) reads as it was.
    expect(
      parseParams('upscale', JSON.stringify({ uploadId: up.uploadId, factor: 4, mode: 'esrgan' })),
    ).toEqual({ uploadId: up.uploadId, factor: 4, mode: 'esrgan' });
  });

  it('runs one small ESRGAN upscale off the event loop', async () => {
    const u = await funded(s);
    const job = await waitJob(
      s,
      u.headers,
      (await upscaleJob(u.headers, await gradientPng(24, 24), 'esrgan')).jobId,
      undefined,
      60_000,
    );
    expect(job).toMatchObject({ state: 'succeeded', charged: 1 });
    expect(job.outputs[0]).toMatchObject({ width: 48, height: 48 });
  });
});
