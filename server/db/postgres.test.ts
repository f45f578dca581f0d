import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log/logger';
import { testServerKey } from '../../shared/testing/ledger-fixture';
import { ManualClock } from '../clock';
import { buildApp } from '../http/app';
import { keysFromSecrets } from '../keys';
import { createServices } from '../services';
import { opId, postgresUrl, signUp } from '../testing/harness';
import type { Database } from './database';
import { migrate } from './migrations';
import { openPostgres } from './postgres';

const job = { kind: 'job', jobId: 'job-1', tool: 'generate' } as const;

/**
 * docs/architecture.md §9: a PostgreSQL backend terminated under an in-flight transaction (a
 * failover, an idle timeout) answers that request 503 and retryable; the broken connection is
 * destroyed, the process keeps running and the next requests are served.
 */
describe('PostgreSQL: a backend terminated mid-transaction', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  let real: Database;
  let terminateNext = 0;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    await admin.connect();
    // A small pool, so a broken client handed back would be met again at once.
    real = await openPostgres(postgresUrl, { schema, max: 2 });
    await migrate(real);
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await real.close();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  /**
   * The same database, except that the next `terminateNext` writes lose their backend: a
   * transaction, or the single `ledger_append` statement of a write from a known head.
   */
  const faulty = (): Database => {
    const transaction: Database['transaction'] = (fn) =>
      real.transaction(async (tx) => {
        if (terminateNext > 0) {
          terminateNext--;
          const { rows } = await tx.query<{ pid: number }>('select pg_backend_pid() as pid');
          await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
          await new Promise((resolve) => setTimeout(resolve, 100)); // the FATAL arrives
        }
        return fn(tx);
      });
    return {
      ...real,
      transaction,
      query: (text, params) =>
        terminateNext > 0 && text.includes('ledger_append')
          ? transaction((tx) => tx.query(text, params))
          : real.query(text, params),
    };
  };

  it('answers 503 retryable, keeps the process up, and serves the next requests', async () => {
    const db = faulty();
    const services = createServices({
      db,
      clock: new ManualClock('2026-11-02T10:00:00.000Z'),
      keys: keysFromSecrets(testServerKey.secretKey),
      auth: { signupBonus: null },
      log: createLogger('off'),
    });
    await services.catalog.seed();
    const app = buildApp(services);
    await app.ready();
    try {
      const u = await signUp(app);
      const hold = (operationId: string) =>
        app.inject({
          method: 'POST',
          url: '/v1/ledger/holds',
          headers: u.headers,
          payload: { operationId, kind: 'image', amount: 1, purpose: job },
        });
      const lost = opId('lost');
      terminateNext = 1;
      const res = await hold(lost);
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().error.code).toBe('database-unavailable');
      expect(res.headers['retry-after']).toBe('1');
      // More than the pool holds: a broken client handed back would fail one of them.
      for (let i = 0; i < 6; i++) expect((await hold(opId('next'))).statusCode).toBe(201);
      // The retry of the lost request applies once.
      expect((await hold(lost)).statusCode).toBe(201);
      expect((await hold(lost)).statusCode).toBe(201);
      const wallet = await services.ledger.wallet(u.accountId);
      expect(wallet.balances.image).toMatchObject({ balance: 20, available: 20 - 7 });
      // Repeatedly, and with requests in parallel.
      terminateNext = 3;
      const codes = await Promise.all(
        Array.from({ length: 8 }, async () => (await hold(opId('burst'))).statusCode),
      );
      expect(codes.filter((c) => c === 503)).toHaveLength(3);
      expect(codes.filter((c) => c === 201)).toHaveLength(5);
      expect((await services.ledger.wallet(u.accountId)).balances.image?.available).toBe(20 - 12);
      expect(uncaught).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
