import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LEVEL, recordingLogger } from '../../shared/log/logger';
import { type TestServer, testServer } from '../testing/harness';
import { buildApp } from './app';

/** server/http/route.ts: a handler's body is checked against the schema its route publishes. */
describe('response bodies match their published schemas', () => {
  let t: TestServer;
  const recorded = recordingLogger();
  const Reply = z.strictObject({ id: z.string(), credits: z.int() });
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    t = await testServer('pglite', { log: recorded.log });
    app = buildApp(t.services, {
      extend: (_a, route) => {
        route(
          { method: 'GET', path: '/v1/test/good', summary: 'ok', auth: false, response: Reply },
          async () => ({ body: { id: 'x', credits: 3 } }),
        );
        route(
          { method: 'GET', path: '/v1/test/leak', summary: 'leaks', auth: false, response: Reply },
          async () => ({ body: { id: 'x', credits: 3, passwordHash: 'scrypt$secret' } }),
        );
        route(
          { method: 'GET', path: '/v1/test/wrong', summary: 'wrong', auth: false, response: Reply },
          async () => ({ body: { id: 'x', credits: '3' } }),
        );
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  it('sends a matching body, and answers 500 with a log for one that does not, never leaking it', async () => {
    const good = await app.inject({ method: 'GET', url: '/v1/test/good' });
    expect(good.statusCode).toBe(200);
    expect(good.json()).toEqual({ id: 'x', credits: 3 });
    for (const url of ['/v1/test/leak', '/v1/test/wrong']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(500);
      expect(res.json().error.code).toBe('internal');
      expect(res.body).not.toContain('scrypt');
      expect(res.body).not.toContain('credits');
    }
    const logged = recorded.lines.filter(
      (l) => l.level === LEVEL.error && l.msg === 'response does not match its schema',
    );
    expect(logged.map((l) => l.route)).toEqual(['GET /v1/test/leak', 'GET /v1/test/wrong']);
    expect(JSON.stringify(logged)).not.toContain('scrypt$secret');
  });
});
