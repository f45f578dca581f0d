import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientPng } from '../engines/test-images';
import { backends, headSeq } from '../testing/harness';
import {
  type Headers,
  type JobsTestServer,
  funded,
  hangingJob,
  jobsTestServer,
  opId,
  postJob,
  quoteFor,
  rowCount,
  signUp,
  upload,
  uploadId,
  waitJob,
} from './test-kit';
import { hangingEngine, standIn, type StandIn } from './stand-ins';

/** A valid PNG header of width × height (greyscale) with a tiny compressed body: no big buffers. */
function hugePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(width + 1);
  const rows = deflateSync(Buffer.concat(Array.from({ length: 64 }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

describe.each(backends)('bad input is refused before any hold on %s', (backend) => {
  let s: JobsTestServer;
  let slow: StandIn;

  beforeAll(async () => {
    slow = await standIn(hangingEngine);
    // Only the offline preview is configured here.
    s = await jobsTestServer(backend);
  });
  afterAll(async () => {
    await s.close();
    await slow.close();
  });

  /** Runs `attempt` and checks it wrote nothing to the account's ledger and made no job. */
  async function nothingWritten(
    u: { accountId: string; headers: Headers },
    attempt: () => Promise<{ statusCode: number; json: () => { error: { code: string } } }>,
  ): Promise<{ status: number; code: string }> {
    const seq = await headSeq(s.t.db, u.accountId);
    const jobs = await rowCount(s, 'jobs', u.accountId);
    const res = await attempt();
    expect(await headSeq(s.t.db, u.accountId)).toBe(seq);
    expect(await rowCount(s, 'jobs', u.accountId)).toBe(jobs);
    return { status: res.statusCode, code: res.json().error.code };
  }

  it('uploads: non-image bytes, an unsupported format, over 40 MP, empty, wrong media type → 4xx, nothing stored', async () => {
    const u = await funded(s);
    const cases: Array<[Buffer, string, number, string]> = [
      [Buffer.from('this is certainly not a picture'), 'image/png', 400, 'not-an-image'],
      [gif, 'image/gif', 415, 'unsupported-format'],
      [
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
        'image/png',
        415,
        'unsupported-format',
      ],
      [hugePng(8000, 6000), 'image/png', 422, 'too-many-pixels'],
      [(await gradientPng(64, 64)).subarray(0, 60), 'image/png', 400, 'not-an-image'],
      [Buffer.alloc(0), 'image/png', 400, 'not-an-image'],
      [await gradientPng(16, 16), 'text/plain', 415, 'unsupported-media-type'],
    ];
    for (const [bytes, type, status, code] of cases) {
      const r = await nothingWritten(u, () => upload(s, u.headers, bytes, type));
      expect([type, r]).toEqual([type, { status, code }]);
    }
    expect(await rowCount(s, 'uploads', u.accountId)).toBe(0);
    // A good one, sent as JPEG bytes under a PNG label: the bytes decide.
    const jpeg = await sharp(await gradientPng(40, 30))
      .jpeg()
      .toBuffer();
    const ok = await upload(s, u.headers, jpeg, 'image/png');
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ format: 'jpeg', width: 40, height: 30 });
    // Uploading needs an account, before the body is even read.
    const anon = await upload(s, {}, jpeg);
    expect(anon.statusCode).toBe(401);
    // Over the size limit: refused while reading the body.
    const small = await s.another({ maxUploadBytes: 1000 });
    const tooBig = await small.app.inject({
      method: 'POST',
      url: '/v1/uploads',
      headers: { ...u.headers, 'content-type': 'image/png' },
      payload: await gradientPng(200, 200),
    });
    expect([tooBig.statusCode, tooBig.json().error.code]).toEqual([413, 'body-too-large']);
    expect(await rowCount(s, 'uploads', u.accountId)).toBe(1);
  });

  it('with only the offline preview configured, only its model is offered, labelled as not AI', async () => {
    const u = await funded(s);
    const tools = (
      await s.app.inject({ method: 'GET', url: '/v1/tools', headers: u.headers })
    ).json();
    const offered = (tools.generate.models as { id: string; available: boolean }[])
      .filter((m) => m.available)
      .map((m) => m.id);
    expect(offered).toEqual(['easel-preview']);
    const pro = (tools.generate.models as { id: string; reason: string | null }[]).find(
      (m) => m.id === 'pro',
    );
    expect(pro?.reason).toMatch(/No image engine/);
    expect(tools.generate.provider.id).toBe('easel-preview');
    expect(tools.generate.provider.label).toMatch(/not AI/);
    // Both upscale tiers of the default book, each with the model that runs it.
    expect(tools.upscale).toMatchObject({ available: true, reason: null });
    expect(
      (tools.upscale.tiers as Array<{ id: string; label: string; available: boolean }>).map((t) => [
        t.id,
        t.label,
        t.available,
      ]),
    ).toEqual([
      ['fast', 'Fast', true],
      ['best', 'Best', true],
    ]);
    expect(tools.upscale.tiers[1].engineModel).toMatch(/thick/);
    expect(tools.uploads).toEqual({
      maxBytes: 25 * 1024 * 1024,
      maxPixels: 40_000_000,
      formats: ['png', 'jpeg', 'webp'],
    });
    expect((await s.app.inject({ method: 'GET', url: '/v1/tools' })).statusCode).toBe(401);
  });

  it('jobs: a long prompt, unknown preset, model or size, a foreign upload → 4xx with no ledger entry', async () => {
    const u = await funded(s);
    const stranger = await funded(s);
    const mine = await uploadId(s, u.headers, await gradientPng(32, 32));
    const theirs = await uploadId(s, stranger.headers, await gradientPng(33, 33));
    const quote = { credits: 1, priceBookVersion: 1 };
    const gen = (params: Record<string, unknown>) => ({
      operationId: opId(),
      tool: 'generate',
      params: {
        mode: 'text-to-image',
        prompt: 'a cat',
        model: 'easel-preview',
        width: 64,
        height: 64,
        steps: 10,
        seed: 1,
        count: 1,
        ...params,
      },
      quote: { credits: 6, priceBookVersion: 1 },
    });
    const cases: Array<[string, unknown, number, string]> = [
      ['prompt over 1000 characters', gen({ prompt: 'x'.repeat(1001) }), 400, 'invalid-request'],
      ['empty prompt', gen({ prompt: '   ' }), 400, 'invalid-request'],
      ['unknown model', gen({ model: 'dall-e-9' }), 400, 'unknown-model'],
      [
        'model this server cannot serve',
        gen({ model: 'ultra', width: 64 }),
        400,
        'model-unavailable',
      ],
      ['count not offered', gen({ count: 3 }), 400, 'unsupported-count'],
      ['too many steps', gen({ steps: 151 }), 400, 'steps-out-of-range'],
      ['side over the engine limit', gen({ width: 5000 }), 400, 'invalid-request'],
      ['image-to-image without input', gen({ mode: 'image-to-image' }), 400, 'input-required'],
      [
        'image-to-image with a stranger’s upload',
        gen({ mode: 'image-to-image', inputUploadId: theirs.uploadId }),
        404,
        'upload-not-found',
      ],
      [
        'unknown preset',
        {
          operationId: opId(),
          tool: 'filter',
          params: { uploadId: mine.uploadId, preset: 'glitter' },
          quote,
        },
        400,
        'unknown-preset',
      ],
      [
        'unsupported factor',
        {
          operationId: opId(),
          tool: 'upscale',
          params: { uploadId: mine.uploadId, factor: 3 },
          quote,
        },
        400,
        'invalid-request',
      ],
      [
        'unknown upscale tier',
        {
          operationId: opId(),
          tool: 'upscale',
          params: { uploadId: mine.uploadId, factor: 2, tier: 'ultra' },
          quote,
        },
        400,
        'invalid-request',
      ],
      [
        'a Lanczos resize with a tier',
        {
          operationId: opId(),
          tool: 'upscale',
          params: { uploadId: mine.uploadId, factor: 2, mode: 'lanczos', tier: 'best' },
          quote,
        },
        400,
        'conflicting-params',
      ],
      [
        'a stranger’s upload',
        { operationId: opId(), tool: 'cutout', params: { uploadId: theirs.uploadId }, quote },
        404,
        'upload-not-found',
      ],
      [
        'unknown tool',
        { operationId: opId(), tool: 'face-swap', params: {}, quote },
        400,
        'invalid-request',
      ],
    ];
    for (const [what, body, status, code] of cases) {
      const r = await nothingWritten(u, () => postJob(s, u.headers, body));
      expect([what, r]).toEqual([what, { status, code }]);
    }
  });

  it('an upscale whose result would be over the pixel limit is refused before the hold', async () => {
    const u = await funded(s);
    const big = await uploadId(
      s,
      u.headers,
      await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#808080' } })
        .png()
        .toBuffer(),
    );
    const r = await nothingWritten(u, () =>
      postJob(s, u.headers, {
        operationId: opId(),
        tool: 'upscale',
        params: { uploadId: big.uploadId, factor: 8, mode: 'lanczos' },
        quote: { credits: 4, priceBookVersion: 1 },
      }),
    );
    expect(r).toEqual({ status: 400, code: 'too-many-pixels' });
  });

  it('a stale quote is answered with the fresh one (409) and nothing held; too few credits is 402', async () => {
    const u = await funded(s);
    const up = await uploadId(s, u.headers, await gradientPng(32, 32));
    const fresh = await quoteFor(s, { tool: 'filter', preset: 'sepia', width: 32, height: 32 });
    const body = (quote: unknown) => ({
      operationId: opId(),
      tool: 'filter',
      params: { uploadId: up.uploadId, preset: 'sepia', strength: 80 },
      quote,
    });
    for (const stale of [
      { credits: fresh.credits + 1, priceBookVersion: fresh.priceBookVersion },
      { credits: fresh.credits, priceBookVersion: fresh.priceBookVersion + 1 },
    ]) {
      let details: unknown;
      const r = await nothingWritten(u, async () => {
        const res = await postJob(s, u.headers, body(stale));
        details = res.json().error.details;
        return res;
      });
      expect(r).toEqual({ status: 409, code: 'quote-changed' });
      expect(details).toMatchObject(fresh);
    }
    const broke = await signUp(s.app); // 20 daily credits only
    const gen = {
      operationId: opId(),
      tool: 'generate',
      params: {
        mode: 'text-to-image',
        prompt: 'a dog',
        model: 'easel-preview',
        width: 64,
        height: 64,
        steps: 10,
        seed: 3,
        count: 4,
      },
      quote: { credits: 24, priceBookVersion: 1 },
    };
    await postJob(s, broke.headers, {
      ...gen,
      operationId: opId(),
      params: { ...gen.params, count: 1 },
      quote: { credits: 6, priceBookVersion: 1 },
    }); // first use grants the daily credits
    const r = await nothingWritten(broke, () => postJob(s, broke.headers, gen));
    expect(r).toEqual({ status: 402, code: 'insufficient-credits' });
  });

  it('a full queue is refused with 503 before the hold', async () => {
    // One job at a time and no room to wait, on an instance whose provider never answers.
    const busy = await s.another({
      generate: {
        provider: { kind: 'automatic1111', baseUrl: slow.baseUrl, progressIntervalMs: 0 },
      },
      maxQueue: 0,
    });
    const u = await funded(s);
    const running = await hangingJob(s, u.headers, busy.app);
    await waitJob(s, u.headers, running.jobId, (j) => j.state === 'running', 10_000, busy.app);
    const up = await uploadId(s, u.headers, await gradientPng(20, 20));
    const q = await quoteFor(s, { tool: 'cutout', width: 20, height: 20 });
    const r = await nothingWritten(u, () =>
      postJob(
        s,
        u.headers,
        { operationId: opId(), tool: 'cutout', params: { uploadId: up.uploadId }, quote: q },
        busy.app,
      ),
    );
    expect(r).toEqual({ status: 503, code: 'busy' });
    const cancelled = await busy.app.inject({
      method: 'POST',
      url: `/v1/jobs/${running.jobId}/cancel`,
      headers: u.headers,
    });
    expect(cancelled.json().state).toBe('cancelled');
  });

  it('a job whose input turns out unusable fails and releases its hold; never a capture', async () => {
    const u = await funded(s);
    const up = await uploadId(s, u.headers, await gradientPng(30, 30));
    const q = await quoteFor(s, { tool: 'upscale', factor: 2, width: 30, height: 30 });
    // The stored file is damaged after the upload was checked (disk trouble, tampering).
    const { rows } = await s.t.db.query<{ sha256: string }>(
      'select sha256 from uploads where id = $1',
      [up.uploadId],
    );
    const { writeFile } = await import('node:fs/promises');
    await writeFile(s.jobs.files.pathOf(rows[0]!.sha256), Buffer.from('garbage now'));
    const res = await postJob(s, u.headers, {
      operationId: opId(),
      tool: 'upscale',
      params: { uploadId: up.uploadId, factor: 2, mode: 'lanczos' },
      quote: q,
    });
    expect(res.statusCode).toBe(201);
    const job = await waitJob(s, u.headers, res.json().jobId);
    expect(job).toMatchObject({ state: 'failed', charged: 0, error: { code: 'not-an-image' } });
    const types = (
      await s.app.inject({ method: 'GET', url: '/v1/ledger/entries?after=0', headers: u.headers })
    )
      .json()
      .entries.map((e: { body: string }) => JSON.parse(e.body))
      .filter((e: { holdId?: string }) => e.holdId === job.holdId)
      .map((e: { type: string; reason?: string }) => [e.type, e.reason]);
    expect(types).toEqual([
      ['hold', undefined],
      ['release', 'failed'],
    ]);
  });
});
