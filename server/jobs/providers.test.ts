import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job, ModelCapability } from '../../shared/api/jobs';
import {
  type A1111StandIn,
  automatic1111StandIn,
} from '../engines/generate/stand-ins/automatic1111';
import { type ComfyStandIn, comfyStandIn } from '../engines/generate/stand-ins/comfyui';
import { type OpenAIStandIn, openaiStandIn } from '../engines/generate/stand-ins/openai';
import { gradientPng } from '../engines/test-images';
import { backends } from '../testing/harness';
import { jobsConfigFromEnv } from './config';
import {
  type Headers,
  type JobsTestServer,
  balance,
  funded,
  holdHistory,
  jobsTestServer,
  opId,
  parseSse,
  postJob,
  quoteFor,
  uploadId,
  waitJob,
} from './test-kit';

type App = JobsTestServer['app'];

const probeOptions = { probeTtlMs: 0, probeTimeoutMs: 2000 };

describe.each(backends)('image engines behind jobs on %s', (backend) => {
  let s: JobsTestServer;
  let comfy: ComfyStandIn;
  let sd: A1111StandIn;
  let openai: OpenAIStandIn;
  let comfyApp: App;
  let sdApp: App;
  let openaiApp: App;

  beforeAll(async () => {
    comfy = await comfyStandIn({ stepMs: 15 });
    sd = await automatic1111StandIn({ stepMs: 10 });
    openai = await openaiStandIn();
    s = await jobsTestServer(backend, {
      generate: { provider: { kind: 'comfyui', baseUrl: comfy.baseUrl, timeoutMs: 20_000 } },
      engineProbe: probeOptions,
    });
    comfyApp = s.app;
    sdApp = (
      await s.another({
        generate: {
          provider: {
            kind: 'automatic1111',
            baseUrl: sd.baseUrl,
            timeoutMs: 20_000,
            progressIntervalMs: 30,
          },
          models: { pro: 'sd_xl_base_1.0' },
        },
      })
    ).app;
    openaiApp = (
      await s.another({
        generate: {
          provider: {
            kind: 'openai',
            baseUrl: openai.baseUrl,
            apiKey: 'sk-test-key',
            timeoutMs: 5000,
          },
        },
      })
    ).app;
  });
  afterAll(async () => {
    await s.close();
    await comfy.close();
    await sd.close();
    await openai.close();
  });
  beforeEach(() => {
    openai.blockWord = null;
  });

  const params = (over: Record<string, unknown> = {}) => ({
    mode: 'text-to-image',
    prompt: 'a teal harbour at dawn',
    negativePrompt: 'blurry',
    model: 'standard',
    width: 64,
    height: 48,
    steps: 12,
    seed: 1000,
    count: 1,
    ...over,
  });

  async function submit(app: App, headers: Headers, over: Record<string, unknown> = {}) {
    const p = params(over);
    const q = await quoteFor(s, {
      tool: 'generate',
      mode: p.mode as 'text-to-image',
      width: p.width as number,
      height: p.height as number,
      steps: p.steps as number,
      model: p.model as string,
      count: p.count as number,
    });
    return postJob(s, headers, { operationId: opId(), tool: 'generate', params: p, quote: q }, app);
  }

  async function run(app: App, headers: Headers, over: Record<string, unknown> = {}) {
    const before = (await balance(s, headers)).balance;
    const res = await submit(app, headers, over);
    if (res.statusCode !== 201) throw new Error(`job refused: ${res.body}`);
    const job: Job = res.json();
    return { job: await waitJob(s, headers, job.jobId, undefined, 20_000, app), before };
  }

  async function expectReleased(headers: Headers, job: Job, before: number) {
    expect(job).toMatchObject({ state: 'failed', charged: 0, outputs: [] });
    expect(await holdHistory(s, headers, job.holdId)).toEqual([
      { type: 'hold', amount: job.quote.credits },
      { type: 'release', amount: job.quote.credits, reason: 'failed' },
    ]);
    expect(await balance(s, headers)).toMatchObject({ balance: before, held: 0 });
  }

  const tools = async (app: App, headers: Headers) =>
    (await app.inject({ method: 'GET', url: '/v1/tools', headers })).json() as {
      generate: { models: ModelCapability[]; provider: { id: string } };
      faceEnhance: { available: boolean; reason: string | null };
    };

  it('offers each engine’s models under the priced models they serve, and the others disabled with the reason', async () => {
    const u = await funded(s);
    const pick = (models: ModelCapability[]) =>
      models.map((m) => [m.id, m.engineModel, m.available]);
    const c = await tools(comfyApp, u.headers);
    expect(pick(c.generate.models)).toEqual([
      ['easel-preview', 'easel-preview', true],
      ['standard', 'v1-5-pruned-emaonly.safetensors', true],
      ['pro', 'sd_xl_base_1.0.safetensors', true],
      ['ultra', 'flux1-schnell-fp8.safetensors', true],
    ]);
    expect(c.faceEnhance).toEqual({
      available: false,
      reason: 'ComfyUI has no face restoration.',
    });
    const a = await tools(sdApp, u.headers);
    expect(pick(a.generate.models)).toEqual([
      ['easel-preview', 'easel-preview', true],
      ['standard', 'v1-5-pruned-emaonly.safetensors [0101010101]', true],
      ['pro', 'sd_xl_base_1.0.safetensors [0202020202]', true],
      ['ultra', null, false],
    ]);
    // A server's users never see its engine's address.
    expect(a.generate.models[3]?.reason).toBe(
      'Automatic1111 has no Flux-class model for Ultra; add one, or map a model in Settings → Image engine.',
    );
    expect(a.faceEnhance.available).toBe(true);
    const o = await tools(openaiApp, u.headers);
    expect(pick(o.generate.models)).toEqual([
      ['easel-preview', 'easel-preview', true],
      ['standard', 'dall-e-2', true],
      ['pro', 'gpt-image-1', true],
      ['ultra', 'gpt-image-1.5', true],
    ]);
  });

  it('ComfyUI: the job streams the sampler’s steps, an ETA and latent previews, then is charged', async () => {
    const u = await funded(s);
    const res = await submit(comfyApp, u.headers, { count: 2 });
    const job: Job = res.json();
    const stream = await comfyApp.inject({
      method: 'GET',
      url: `/v1/jobs/${job.jobId}/events`,
      headers: u.headers,
    });
    const events = parseSse(stream.body);
    const progress = events
      .filter((e) => e.event === 'progress')
      .map((e) => e.data as { progress: number; stage: string | null; etaSeconds: number | null });
    expect(progress.map((p) => p.stage)).toContain('Image 2 of 2: Sampling step 6 of 12');
    expect(progress.some((p) => typeof p.etaSeconds === 'number' && p.etaSeconds > 0)).toBe(true);
    const fractions = progress.map((p) => p.progress);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    const previews = events
      .filter((e) => e.event === 'preview')
      .map((e) => e.data as { index: number; format: string; base64: string });
    expect(previews.length).toBeGreaterThan(0);
    expect(new Set(previews.map((p) => p.index))).toEqual(new Set([0, 1]));
    const frame = await sharp(Buffer.from(previews[0]?.base64 ?? '', 'base64')).metadata();
    expect(frame).toMatchObject({ format: 'jpeg' });
    expect(Math.max(frame.width, frame.height)).toBeLessThanOrEqual(256);
    const final = events.filter((e) => e.event === 'state').at(-1)?.data as { job: Job };
    expect(final.job).toMatchObject({
      state: 'succeeded',
      charged: 12,
      provider: { id: 'comfyui' },
    });
  });

  it('ComfyUI: cancel reaches the engine (the prompt is interrupted by id) and releases the hold', async () => {
    const u = await funded(s);
    const before = (await balance(s, u.headers)).balance;
    const job: Job = (await submit(comfyApp, u.headers, { steps: 140 })).json();
    await waitJob(
      s,
      u.headers,
      job.jobId,
      (j) => (j.stage ?? '').startsWith('Sampling'),
      10_000,
      comfyApp,
    );
    const cancelled = await comfyApp.inject({
      method: 'POST',
      url: `/v1/jobs/${job.jobId}/cancel`,
      headers: u.headers,
    });
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', charged: 0 });
    await expect.poll(() => comfy.interrupted.length, { timeout: 5000 }).toBe(1);
    expect(comfy.interrupts.at(-1)).toEqual({
      asked: comfy.interrupted[0],
      stopped: comfy.interrupted[0],
    });
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([
      { type: 'hold', amount: 6 },
      { type: 'release', amount: 6, reason: 'cancelled' },
    ]);
    expect(await balance(s, u.headers)).toMatchObject({ balance: before, held: 0 });
  });

  it('ComfyUI: out of GPU memory fails the job with a sentence and releases the hold', async () => {
    const u = await funded(s);
    comfy.failNextWithOutOfMemory();
    const { job, before } = await run(comfyApp, u.headers);
    expect(job.error?.code).toBe('provider-out-of-memory');
    expect(job.error?.message).toMatch(
      /^ComfyUI ran out of GPU memory in KSampler; try a smaller size or fewer steps\.$/,
    );
    await expectReleased(u.headers, job, before);
  });

  it('ComfyUI: image to image through its template, with the strength as denoise', async () => {
    const u = await funded(s);
    const up = await uploadId(s, u.headers, await gradientPng(80, 60));
    const { job } = await run(comfyApp, u.headers, {
      mode: 'image-to-image',
      inputUploadId: up.uploadId,
      strength: 45,
    });
    expect(job.state).toBe('succeeded');
    const graph = [...comfy.graphs.values()].at(-1);
    expect(graph?.['3']?.inputs).toMatchObject({ denoise: 0.45, latent_image: ['12', 0] });
  });

  it('Automatic1111: runs on the mapped checkpoint; an engine that went away fails the job and releases', async () => {
    const u = await funded(s);
    const { job } = await run(sdApp, u.headers, { model: 'pro' });
    expect(job).toMatchObject({ state: 'succeeded', charged: 9 });
    expect([...sd.ranOn.values()].at(-1)).toBe('sd_xl_base_1.0.safetensors [0202020202]');
    const down = await automatic1111StandIn({ stepMs: 200 });
    const gone = await s.another({
      generate: {
        provider: {
          kind: 'automatic1111',
          baseUrl: down.baseUrl,
          timeoutMs: 20_000,
          progressIntervalMs: 50,
        },
      },
    });
    const before = (await balance(s, u.headers)).balance;
    const started: Job = (await submit(gone.app, u.headers, { steps: 100 })).json();
    await waitJob(
      s,
      u.headers,
      started.jobId,
      (j) => (j.stage ?? '').startsWith('Sampling'),
      10_000,
      gone.app,
    );
    await down.close();
    const failed = await waitJob(s, u.headers, started.jobId, undefined, 20_000, gone.app);
    expect(failed.error?.code).toBe('provider-unreachable');
    expect(failed.error?.message).toMatch(
      /could not be reached: .*(check that the server is running|connection refused)/,
    );
    expect(failed.error?.message).not.toContain(down.baseUrl);
    await expectReleased(u.headers, failed, before);
  });

  it('face enhance runs on Automatic1111’s extras (GFPGAN) and is charged; an engine without it refuses before any hold', async () => {
    const u = await funded(s);
    const up = await uploadId(s, u.headers, await gradientPng(64, 48));
    const q = await quoteFor(s, { tool: 'face-enhance', width: 64, height: 48 });
    const before = await balance(s, u.headers);
    const started = await postJob(
      s,
      u.headers,
      { operationId: opId(), tool: 'face-enhance', params: { uploadId: up.uploadId }, quote: q },
      sdApp,
    );
    expect(started.statusCode).toBe(201);
    const job = await waitJob(s, u.headers, started.json().jobId, undefined, 20_000, sdApp);
    expect(job).toMatchObject({
      state: 'succeeded',
      charged: q.credits,
      tool: 'face-enhance',
      provider: { id: 'automatic1111' },
    });
    expect(job.outputs[0]).toMatchObject({ width: 64, height: 48, format: 'png' });
    expect(
      JSON.parse(
        sd.requests
          .filter((r) => r.url === '/sdapi/v1/extra-single-image')
          .at(-1)
          ?.body.toString('utf8') ?? '{}',
      ),
    ).toMatchObject({ gfpgan_visibility: 1, upscaling_resize: 1 });
    expect((await balance(s, u.headers)).balance).toBe(before.balance - q.credits);
    const refused = await postJob(
      s,
      u.headers,
      { operationId: opId(), tool: 'face-enhance', params: { uploadId: up.uploadId }, quote: q },
      comfyApp,
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toEqual({
      code: 'tool-unavailable',
      message: 'ComfyUI has no face restoration.',
    });
    expect((await balance(s, u.headers)).balance).toBe(before.balance - q.credits);
  });

  it('an engine that does not answer makes its models unavailable: nothing is held, the reason is given', async () => {
    const u = await funded(s);
    const dead = await comfyStandIn();
    const url = dead.baseUrl;
    await dead.close();
    const off = await s.another({ generate: { provider: { kind: 'comfyui', baseUrl: url } } });
    const models = (await tools(off.app, u.headers)).generate.models;
    expect(models.find((m) => m.id === 'standard')).toMatchObject({
      available: false,
      reason: expect.stringMatching(
        /could not be reached: nothing is listening there \(connection refused\)/,
      ),
    });
    expect(JSON.stringify(models)).not.toContain(url);
    const before = await balance(s, u.headers);
    const refused = await submit(off.app, u.headers);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({
      code: 'model-unavailable',
      message: expect.stringMatching(/connection refused/),
    });
    expect(await balance(s, u.headers)).toEqual(before);
  });

  it('OpenAI: a refused prompt fails with the safety reason and releases; the key never shows', async () => {
    const u = await funded(s);
    const ok = await run(openaiApp, u.headers, { model: 'pro' });
    expect(ok.job).toMatchObject({ state: 'succeeded', charged: 9 });
    expect(JSON.parse(openai.requests.at(-1)?.body.toString('utf8') ?? '{}')).toMatchObject({
      model: 'gpt-image-1',
      size: '1536x1024',
    });
    openai.blockWord = 'harbour';
    const { job, before } = await run(openaiApp, u.headers, { model: 'pro' });
    expect(job.error?.code).toBe('provider-refused');
    expect(job.error?.message).toMatch(
      /safety system refused this request .*Change the prompt and try again\./,
    );
    await expectReleased(u.headers, job, before);
    const wrongKey = await s.another({
      generate: {
        provider: { kind: 'openai', baseUrl: openai.baseUrl, apiKey: 'sk-wrong-secret-1234' },
      },
    });
    const res = await submit(wrongKey.app, u.headers, { model: 'pro' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(
      /refused the key .*Check the key in Settings → Image engine\./,
    );
    expect(res.body).not.toContain('wrong-secret');
    expect(
      (await wrongKey.app.inject({ method: 'GET', url: '/v1/tools', headers: u.headers })).body,
    ).not.toContain('wrong-secret');
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
