import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineState, EngineTestResult, OPERATOR_HEADER } from '../../shared/api/engine';
import { ToolsResponse } from '../../shared/api/jobs';
import {
  type A1111StandIn,
  automatic1111StandIn,
} from '../engines/generate/stand-ins/automatic1111';
import { type ComfyStandIn, comfyStandIn } from '../engines/generate/stand-ins/comfyui';
import { type OpenAIStandIn, openaiStandIn } from '../engines/generate/stand-ins/openai';
import { buildApp } from '../http/app';
import { type TestServer, backends, signUp, testServer } from '../testing/harness';
import { EngineOperator } from './engine-operator';
import { type Jobs, createJobs, registerJobRoutes } from './index';
import { registerOperatorRoutes } from './operator-routes';
import { type StandIn, hang, standIn } from './stand-ins';

const SECRET = 'per-launch-operator-secret-0123456789';

describe.each(backends)('the embedded server’s operator endpoint on %s', (backend) => {
  let t: TestServer;
  let jobs: Jobs;
  let app: FastifyInstance;
  let dataDir: string;
  let comfy: ComfyStandIn;
  let sd: A1111StandIn;
  let openai: OpenAIStandIn;
  let slow: StandIn;
  let headers: Record<string, string>;

  beforeAll(async () => {
    [comfy, sd, openai, slow] = await Promise.all([
      comfyStandIn(),
      automatic1111StandIn(),
      openaiStandIn(),
      standIn(hang),
    ]);
    t = await testServer(backend);
    dataDir = await mkdtemp(join(tmpdir(), 'easel-operator-'));
    jobs = createJobs(t.services, {
      dataDir,
      sweepIntervalMs: 0,
      heartbeatMs: 0,
      engineProbe: { probeTtlMs: 0, probeTimeoutMs: 1000 },
    });
    const operator = new EngineOperator(
      jobs.providers,
      () => t.services.catalog.priceBook(),
      undefined,
      500,
    );
    app = buildApp(t.services, {
      extend: (a, route, accountOf) => {
        registerJobRoutes(a, route, accountOf, jobs);
        registerOperatorRoutes(a, route, operator, SECRET);
      },
    });
    await app.ready();
    headers = (await signUp(app)).headers;
  });
  afterAll(async () => {
    await app.close();
    await jobs.close();
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
    for (const s of [comfy, sd, openai, slow]) await s.close();
  });

  const call = (
    url: string,
    body?: unknown,
    extra: { secret?: string | null; remoteAddress?: string } = {},
  ) =>
    app.inject({
      method: body === undefined ? 'GET' : 'POST',
      url,
      remoteAddress: extra.remoteAddress ?? '127.0.0.1',
      headers: extra.secret === null ? {} : { [OPERATOR_HEADER]: extra.secret ?? SECRET },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const settings = (
    kind: string,
    baseUrl: string | null,
    key: string | null = null,
    models = {},
  ) => ({ kind, baseUrl, key, models });
  const test = async (body: unknown) =>
    EngineTestResult.parse((await call('/v1/operator/engine/test', body)).json());

  it('answers only the app that started the server: loopback and the per-launch secret', async () => {
    const body = settings('comfyui', comfy.baseUrl);
    for (const extra of [
      { secret: null },
      { secret: 'guess' },
      { remoteAddress: '192.168.1.20' },
    ]) {
      const res = await call('/v1/operator/engine', body, extra);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('operator-only');
    }
    // Refused before the body is read: a bad body without the secret is still a 403.
    expect((await call('/v1/operator/engine', { kind: 'x' }, { secret: null })).statusCode).toBe(
      403,
    );
    expect((await call('/v1/operator/engine', { kind: 'x' })).statusCode).toBe(400);
    expect(EngineState.parse((await call('/v1/operator/engine')).json()).kind).toBe('preview');
  });

  it('"Test connection" says what answered: version, device, models and what each serves', async () => {
    const result = await test(settings('comfyui', comfy.baseUrl));
    expect(result.report).toMatchObject({
      ok: true,
      summary: 'ComfyUI 0.3.64 answered, on a GPU (NVIDIA GeForce RTX 3070, 8 GB), with 3 models.',
      models: [
        { name: 'v1-5-pruned-emaonly.safetensors', family: 'sd15', servesAs: ['standard'] },
        { name: 'sd_xl_base_1.0.safetensors', family: 'sdxl', servesAs: ['pro'] },
        { name: 'flux1-schnell-fp8.safetensors', family: 'flux', servesAs: ['ultra'] },
      ],
    });
    const mapped = await test(
      settings('automatic1111', sd.baseUrl, null, { ultra: 'sd_xl_base_1.0' }),
    );
    expect(mapped.report).toMatchObject({
      ok: true,
      summary: 'Automatic1111 answered, on a GPU (CUDA, 8 GB), with 2 models.',
    });
    expect(mapped.capabilities.map((c) => [c.id, c.available])).toEqual([
      ['easel-preview', true],
      ['standard', true],
      ['pro', true],
      ['ultra', true],
    ]);
  });

  it('…or exactly why not: refused, timeout, wrong key, not that kind of server', async () => {
    const closed = await standIn(hang);
    const closedUrl = closed.baseUrl;
    await closed.close();
    expect((await test(settings('comfyui', closedUrl))).report).toMatchObject({
      ok: false,
      failure: 'refused',
      message: expect.stringMatching(/connection refused/),
    });
    expect((await test(settings('comfyui', slow.baseUrl))).report).toMatchObject({
      ok: false,
      failure: 'timeout',
      message: expect.stringMatching(/did not answer within 1 s; check that it is running/),
    });
    const wrongKey = await test(settings('openai', openai.baseUrl, 'sk-not-the-key'));
    expect(wrongKey.report).toMatchObject({
      ok: false,
      failure: 'wrong-key',
      message: expect.stringMatching(/refused the key/),
    });
    expect(JSON.stringify(wrongKey)).not.toContain('not-the-key');
    expect((await test(settings('comfyui', sd.baseUrl))).report).toMatchObject({
      ok: false,
      failure: 'wrong-server',
      message: expect.stringMatching(/There is no ComfyUI at this address/),
    });
    expect((await test(settings('automatic1111', comfy.baseUrl))).report).toMatchObject({
      ok: false,
      failure: 'wrong-server',
    });
  });

  it('switches the engine of the running server: the tools follow at once; no answer carries the key', async () => {
    const tools = async () =>
      ToolsResponse.parse((await app.inject({ method: 'GET', url: '/v1/tools', headers })).json());
    expect((await tools()).generate.models.filter((m) => m.available).map((m) => m.id)).toEqual([
      'easel-preview',
    ]);
    const applied = await call(
      '/v1/operator/engine',
      settings('openai', openai.baseUrl, 'sk-test-key'),
    );
    expect(applied.statusCode).toBe(200);
    expect(applied.body).not.toContain('sk-test-key');
    expect(EngineState.parse(applied.json())).toMatchObject({
      kind: 'openai',
      hasKey: true,
      report: { ok: true },
    });
    expect((await tools()).generate.models.map((m) => [m.id, m.engineModel])).toEqual([
      ['easel-preview', 'easel-preview'],
      ['standard', 'dall-e-2'],
      ['pro', 'gpt-image-1'],
      ['ultra', 'gpt-image-1.5'],
    ]);
    const again = await call('/v1/operator/engine');
    expect(again.body).not.toContain('sk-test-key');
    await call('/v1/operator/engine', settings('comfyui', comfy.baseUrl));
    expect((await tools()).generate.provider.id).toBe('comfyui');
    await call('/v1/operator/engine', settings('preview', null));
    expect((await tools()).generate.models.filter((m) => m.available).map((m) => m.id)).toEqual([
      'easel-preview',
    ]);
  });
});
