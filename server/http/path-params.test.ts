import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log/logger';
import { type Jobs, createJobs, registerJobRoutes } from '../jobs/index';
import { createPurchases } from '../purchases/purchases';
import { registerPurchaseRoutes } from '../purchases/routes';
import { type TestServer, backends, entryCount, signUp, testServer } from '../testing/harness';
import { buildApp } from './app';

/**
 * Every path parameter of every documented route is checked with the shared Id schema
 * (server/http/route.ts): NUL bytes, over-long or odd values answer 400 and write nothing.
 */
describe.each(backends)('path parameters on %s', (backend) => {
  let t: TestServer;
  let jobs: Jobs;
  let app: FastifyInstance;
  let dataDir: string;
  beforeAll(async () => {
    t = await testServer(backend);
    dataDir = await mkdtemp(join(tmpdir(), 'easel-params-'));
    jobs = createJobs(t.services, { dataDir, sweepIntervalMs: 0, heartbeatMs: 0 });
    const purchases = createPurchases(t.services, {
      publicUrl: 'http://127.0.0.1:4780',
      stripe: null,
      log: createLogger('off'),
    });
    app = buildApp(t.services, {
      extend: (a, route, accountOf) => {
        registerJobRoutes(a, route, accountOf, jobs);
        registerPurchaseRoutes(a, route, accountOf, purchases);
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await jobs.close();
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 400 for a NUL byte, an over-long or an odd id in any path parameter', async () => {
    const u = await signUp(app);
    const before = await entryCount(t.db);
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const withParams = Object.entries(doc.paths).filter(([path]) => path.includes('{'));
    // Every route of the report is among them.
    expect(withParams.map(([p]) => p)).toEqual(
      expect.arrayContaining([
        '/v1/jobs/{jobId}',
        '/v1/jobs/{jobId}/events',
        '/v1/jobs/{jobId}/cancel',
        '/v1/items/{itemId}/dislike',
        '/v1/designs/{designId}/redeem',
        '/v1/designs/{designId}/file',
      ]),
    );
    const bad = ['%00', 'job_%00', 'x'.repeat(200), '%E2%80%8B', 'a%20b', '%2e%2e%2f'];
    const seen: string[] = [];
    for (const [path, methods] of withParams) {
      for (const method of Object.keys(methods)) {
        for (const value of bad) {
          const url = path.replace(/\{\w+\}/g, value);
          const res = await app.inject({
            method: method.toUpperCase() as 'GET' | 'POST' | 'DELETE',
            url,
            headers: u.headers,
            ...(method === 'get' || method === 'delete' ? {} : { payload: {} }),
          });
          seen.push(`${method} ${url} ${res.statusCode}`);
          expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
          expect(res.json().error.code).toBe('invalid-request');
        }
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(13 * bad.length);
    expect(await entryCount(t.db)).toBe(before);
  });
});
