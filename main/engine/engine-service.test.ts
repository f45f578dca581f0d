import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_HEADER } from '../../shared/api/engine';
import { HttpClient } from '../clients/http';
import { MemorySecretStore } from '../secrets/secret-store';
import { EngineService } from './engine-service';

const KEY = 'sk-main-test-0123456789abcdef';
const state = {
  kind: 'openai',
  baseUrl: 'http://127.0.0.1:9/',
  hasKey: true,
  models: {},
  report: {
    ok: true,
    server: 'OpenAI-compatible images API',
    version: null,
    device: null,
    models: [],
    faceEnhance: false,
    summary: 'It answered.',
  },
  capabilities: [],
};

describe('main’s image engine settings', () => {
  let dataDir: string;
  let secrets: MemorySecretStore;
  let sent: Array<{ url: string; secret: string | null; body: Record<string, unknown> | null }>;
  let service: EngineService;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'easel-engine-main-'));
    secrets = new MemorySecretStore();
    sent = [];
    const fakeFetch = (async (input: URL | RequestInfo, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      sent.push({
        url: String(input),
        secret: headers.get(OPERATOR_HEADER),
        body:
          typeof init?.body === 'string'
            ? (JSON.parse(init.body) as Record<string, unknown>)
            : null,
      });
      const body = String(input).endsWith('/test')
        ? { report: state.report, capabilities: [] }
        : state;
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof fetch;
    service = new EngineService({
      dataDir,
      secrets,
      http: new HttpClient({ baseUrl: () => 'http://127.0.0.1:9', token: async () => null }),
      serverUrl: () => 'http://127.0.0.1:9',
      operatorSecret: 'launch-secret',
      fetch: fakeFetch,
    });
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the key in the secret store, per engine, and never in its answers or its settings file', async () => {
    const view = await service.save({
      kind: 'openai',
      baseUrl: 'http://127.0.0.1:9/',
      key: KEY,
      models: {},
    });
    expect(JSON.stringify(view)).not.toContain(KEY);
    expect(await secrets.get('engine-key:openai')).toBe(KEY);
    expect(await readFile(join(dataDir, 'engine.json'), 'utf8')).not.toContain(KEY);
    expect(sent.at(-2)).toMatchObject({
      url: 'http://127.0.0.1:9/v1/operator/engine',
      secret: 'launch-secret',
      body: { kind: 'openai', key: KEY },
    });
    // A test without a typed key uses the stored one; another engine never gets it.
    await service.test({ kind: 'openai', baseUrl: 'http://127.0.0.1:9/', models: {} });
    expect(sent.at(-1)?.body).toMatchObject({ key: KEY });
    await service.test({ kind: 'automatic1111', baseUrl: 'http://127.0.0.1:9/', models: {} });
    expect(sent.at(-1)?.body).toMatchObject({ kind: 'automatic1111', key: null });
    await service.test({
      kind: 'comfyui',
      baseUrl: 'http://127.0.0.1:9/',
      key: 'typed-by-mistake',
      models: {},
    });
    expect(sent.at(-1)?.body).toMatchObject({ kind: 'comfyui', key: null });
  });

  it('gives the stored engine and its key to the embedded server at start; null forgets the key', async () => {
    await service.save({
      kind: 'openai',
      baseUrl: 'http://127.0.0.1:9/',
      key: KEY,
      models: { pro: 'gpt-image-1' },
    });
    sent.length = 0;
    await service.restore();
    expect(sent).toEqual([
      {
        url: 'http://127.0.0.1:9/v1/operator/engine',
        secret: 'launch-secret',
        body: {
          kind: 'openai',
          baseUrl: 'http://127.0.0.1:9/',
          key: KEY,
          models: { pro: 'gpt-image-1' },
        },
      },
    ]);
    await service.save({ kind: 'openai', baseUrl: 'http://127.0.0.1:9/', key: null, models: {} });
    expect(await secrets.get('engine-key:openai')).toBeNull();
  });

  it('with a remote server there is no operator: settings cannot be changed from here', async () => {
    const remote = new EngineService({
      dataDir,
      secrets,
      http: new HttpClient({
        baseUrl: () => 'http://127.0.0.1:9',
        token: async () => null,
        fetch: (async () => {
          throw new TypeError('fetch failed');
        }) as typeof fetch,
      }),
      serverUrl: () => 'http://127.0.0.1:9',
    });
    expect(remote.embedded).toBe(false);
    await expect(remote.save({ kind: 'preview', baseUrl: null, models: {} })).rejects.toThrow(
      /remote Easel server/,
    );
    expect((await remote.view()).mode).toBe('remote');
  });
});
