import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobs';
import { gradientPng } from '../engines/test-images';
import { backends } from '../testing/harness';
import { jobsConfigFromEnv } from './config';
import {
  type Handler,
  type StandIn,
  a1111,
  a1111Errors,
  answer,
  hang,
  malformed,
  openaiErrors,
  openaiImages,
  standIn,
} from './stand-ins';
import {
  type Headers,
  type JobsTestServer,
  balance,
  funded,
  holdHistory,
  jobsTestServer,
  opId,
  quoteFor,
  startJob,
  uploadId,
  waitJob,
} from './test-kit';

type App = JobsTestServer['app'];

describe.each(backends)('generation providers behind jobs on %s', (backend) => {
  let s: JobsTestServer;
  let openai: StandIn;
  let sd: StandIn;
  let openaiApp: App;
  let sdApp: App;

  beforeAll(async () => {
    openai = await standIn(openaiImages);
    sd = await standIn(a1111);
    s = await jobsTestServer(backend, {
      generate: {
        provider: { kind: 'openai', baseUrl: openai.baseUrl, apiKey: 'sk-test', timeoutMs: 1500 },
        models: { standard: 'gpt-image-1', pro: 'dall-e-3' },
      },
    });
    openaiApp = s.app;
    sdApp = (
      await s.another({
        generate: {
          provider: {
            kind: 'automatic1111',
            baseUrl: sd.baseUrl,
            timeoutMs: 1500,
            // Above 1.5 s / 10: the adapter's poller adds an abort listener per poll (reported).
            progressIntervalMs: 250,
          },
          models: { standard: 'v1-5-pruned-emaonly.safetensors' },
        },
      })
    ).app;
  });
  afterAll(async () => {
    await s.close();
    await openai.close();
    await sd.close();
  });
  beforeEach(() => {
    openai.handler = openaiImages;
    sd.handler = a1111;
    openai.requests.length = 0;
    sd.requests.length = 0;
  });

  async function run(
    app: App,
    headers: Headers,
    params: Record<string, unknown> = {},
  ): Promise<{ job: Job; before: number }> {
    const p = {
      mode: 'text-to-image',
      prompt: 'a teal harbour at dawn',
      negativePrompt: 'blurry',
      style: 'watercolour',
      model: 'standard',
      width: 64,
      height: 48,
      steps: 12,
      seed: 1000,
      count: 1,
      ...params,
    };
    const q = await quoteFor(s, {
      tool: 'generate',
      mode: p.mode as 'text-to-image',
      width: p.width,
      height: p.height,
      steps: p.steps,
      model: p.model,
      count: p.count,
    });
    const before = (await balance(s, headers)).balance;
    const started = await startJob(
      s,
      headers,
      { operationId: opId(), tool: 'generate', params: p, quote: q },
      app,
    );
    return { job: await waitJob(s, headers, started.jobId, undefined, 20_000, app), before };
  }

  async function expectReleased(headers: Headers, job: Job, before: number): Promise<void> {
    expect(job).toMatchObject({ state: 'failed', charged: 0, outputs: [] });
    const history = await holdHistory(s, headers, job.holdId);
    expect(history).toEqual([
      { type: 'hold', amount: job.quote.credits },
      { type: 'release', amount: job.quote.credits, reason: 'failed' },
    ]);
    expect(await balance(s, headers)).toMatchObject({ balance: before, held: 0 });
  }

  it('says which provider serves which models', async () => {
    const u = await funded(s);
    const tools = await openaiApp.inject({ method: 'GET', url: '/v1/tools', headers: u.headers });
    expect(tools.json().generate).toMatchObject({
      provider: { id: 'openai' },
      preview: { id: 'easel-preview' },
      maxPromptLength: 1000,
    });
    const models = tools.json().generate.models as { id: string; engineModel: string }[];
    expect(models.map((m) => [m.id, m.engineModel])).toEqual([
      ['easel-preview', 'easel-preview'],
      ['standard', 'gpt-image-1'],
      ['pro', 'dall-e-3'],
      ['ultra', 'ultra'],
    ]);
  });

  describe('OpenAI-compatible images API', () => {
    it('a recorded answer: one request per image, the mapped model, images stored and charged', async () => {
      const u = await funded(s);
      const { job } = await run(openaiApp, u.headers, { count: 2 });
      expect(job).toMatchObject({ state: 'succeeded', charged: 12 });
      expect(job.provider).toEqual({ id: 'openai', label: 'OpenAI-compatible images API' });
      expect(openai.requests).toHaveLength(2);
      const sent = JSON.parse(openai.requests[0]!.body.toString('utf8'));
      expect(sent).toMatchObject({
        model: 'gpt-image-1',
        prompt: 'a teal harbour at dawn, watercolour style',
        n: 1,
        size: '64x48',
      });
      expect(openai.requests[0]!.headers.authorization).toBe('Bearer sk-test');
      const file = await openaiApp.inject({
        method: 'GET',
        url: job.outputs[1]!.url,
        headers: u.headers,
      });
      expect(await sharp(file.rawPayload).metadata()).toMatchObject({ width: 64, height: 48 });
    });

    const failures: Array<[string, Handler, string, RegExp]> = [
      [
        '401 invalid key',
        answer(openaiErrors.invalidKey),
        'provider-http-error',
        /HTTP 401.*Incorrect API key/,
      ],
      ['500 server error', answer(openaiErrors.serverError), 'provider-http-error', /HTTP 500/],
      [
        '400 content policy',
        answer(openaiErrors.contentPolicy),
        'provider-http-error',
        /safety system/,
      ],
      ['malformed JSON', malformed, 'provider-bad-response', /not JSON/],
      ['a slow server (time-out)', hang, 'provider-timeout', /did not answer within/],
    ];
    for (const [what, handler, code, message] of failures) {
      it(`${what} → the job fails and the hold is released`, async () => {
        const u = await funded(s);
        openai.handler = handler;
        const { job, before } = await run(openaiApp, u.headers, { model: 'pro' });
        expect(job.error?.code).toBe(code);
        expect(job.error?.message).toMatch(message);
        await expectReleased(u.headers, job, before);
      });
    }

    it('image-to-image sends the upload as the image to edit', async () => {
      const u = await funded(s);
      const up = await uploadId(s, u.headers, await gradientPng(80, 60));
      const { job } = await run(openaiApp, u.headers, {
        mode: 'image-to-image',
        inputUploadId: up.uploadId,
        strength: 40,
      });
      expect(job.state).toBe('succeeded');
      expect(openai.requests[0]!.url).toBe('/v1/images/edits');
      expect(String(openai.requests[0]!.headers['content-type'])).toMatch(/^multipart\/form-data/);
      expect(openai.requests[0]!.body.includes(Buffer.from('name="image"'))).toBe(true);
    });
  });

  describe('Automatic1111', () => {
    it('a recorded txt2img answer: seed + i per image, the mapped checkpoint, progress polled', async () => {
      const u = await funded(s);
      sd.handler = async (req, res) => {
        // Answer a little later, so the adapter polls the progress endpoint meanwhile.
        if (req.url.startsWith('/sdapi/v1/txt2img')) await new Promise((r) => setTimeout(r, 400));
        return a1111(req, res);
      };
      const { job } = await run(sdApp, u.headers, { count: 2, seed: 4_294_967_295 });
      expect(job).toMatchObject({ state: 'succeeded', charged: 12 });
      const posts = sd.requests.filter((r) => r.url === '/sdapi/v1/txt2img');
      const bodies = posts.map((r) => JSON.parse(r.body.toString('utf8')));
      expect(bodies.map((b) => b.seed)).toEqual([4_294_967_295, 0]);
      expect(bodies[0]).toMatchObject({
        prompt: 'a teal harbour at dawn, watercolour style',
        negative_prompt: 'blurry',
        width: 64,
        height: 48,
        steps: 12,
        batch_size: 1,
        override_settings: { sd_model_checkpoint: 'v1-5-pruned-emaonly.safetensors' },
      });
      expect(sd.requests.some((r) => r.url.startsWith('/sdapi/v1/progress'))).toBe(true);
    });

    const failures: Array<[string, Handler, string, RegExp]> = [
      [
        '500 out of memory',
        answer(a1111Errors.outOfMemory),
        'provider-http-error',
        /HTTP 500.*OutOfMemoryError/,
      ],
      ['422 validation error', answer(a1111Errors.validation), 'provider-http-error', /HTTP 422/],
      ['malformed JSON', malformed, 'provider-bad-response', /not JSON/],
      [
        'an answer without images',
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ images: [], parameters: {}, info: '{}' }));
        },
        'provider-bad-response',
        /returned 0 images/,
      ],
      ['a slow server (time-out)', hang, 'provider-timeout', /did not answer within/],
      [
        'a server that is down',
        (req, res) => res.socket?.destroy(),
        'provider-unreachable',
        /could not be reached/,
      ],
    ];
    for (const [what, handler, code, message] of failures) {
      it(`${what} → the job fails and the hold is released`, async () => {
        const u = await funded(s);
        sd.handler = (req, res) =>
          req.url.startsWith('/sdapi/v1/progress') ? a1111(req, res) : handler(req, res);
        const { job, before } = await run(sdApp, u.headers);
        expect(job.error?.code).toBe(code);
        expect(job.error?.message).toMatch(message);
        await expectReleased(u.headers, job, before);
      });
    }
  });
});

describe('jobs configuration from the environment', () => {
  it('defaults to the offline preview and reads the provider settings', () => {
    expect(jobsConfigFromEnv({}, '/data')).toMatchObject({
      dataDir: '/data',
      generate: { provider: { kind: 'preview' } },
      pool: { concurrency: 1 },
      maxQueue: 8,
    });
    expect(
      jobsConfigFromEnv(
        {
          EASEL_GENERATE_PROVIDER: 'automatic1111',
          EASEL_GENERATE_URL: 'http://gpu-box:7860',
          EASEL_GENERATE_KEY: 'easel:secret:pw',
          EASEL_GENERATE_TIMEOUT_MS: '300000',
          EASEL_GENERATE_MODELS: 'standard=sd15.safetensors, pro = sdxl.safetensors',
          EASEL_JOBS_CONCURRENCY: '2',
          EASEL_JOBS_HOLD_TTL_SECONDS: '1800',
        },
        '/data',
      ),
    ).toMatchObject({
      generate: {
        provider: {
          kind: 'automatic1111',
          baseUrl: 'http://gpu-box:7860',
          timeoutMs: 300_000,
          auth: { username: 'easel', password: 'secret:pw' },
        },
        models: { standard: 'sd15.safetensors', pro: 'sdxl.safetensors' },
      },
      pool: { concurrency: 2 },
      holdTtlSeconds: 1800,
    });
  });

  it('refuses a bad or incomplete configuration clearly', () => {
    expect(() => jobsConfigFromEnv({ EASEL_GENERATE_PROVIDER: 'midjourney' }, '/d')).toThrow(
      /EASEL_GENERATE_PROVIDER/,
    );
    expect(() => jobsConfigFromEnv({ EASEL_GENERATE_PROVIDER: 'openai' }, '/d')).toThrow(
      /EASEL_GENERATE_KEY/,
    );
    expect(() => jobsConfigFromEnv({ EASEL_GENERATE_TIMEOUT_MS: 'soon' }, '/d')).toThrow(
      /EASEL_GENERATE_TIMEOUT_MS/,
    );
    expect(() => jobsConfigFromEnv({})).toThrow(/EASEL_DATA_DIR/);
  });
});
