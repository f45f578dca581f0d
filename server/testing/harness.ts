import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { type Logger, createLogger } from '../../shared/log/logger';
import { testServerKey } from '../../shared/testing/ledger-fixture';
import { type AuthConfig } from '../auth/auth-service';
import { ManualClock } from '../clock';
import type { Database } from '../db/database';
import { migrate } from '../db/migrations';
import { openPglite } from '../db/pglite';
import { openPostgres } from '../db/postgres';
import { buildApp, type AppOptions } from '../http/app';
import { keysFromSecrets } from '../keys';
import type { LedgerConfig } from '../ledger/ledger-service';
import { createServices, type Services } from '../services';

export type Backend = 'pglite' | 'postgres';
/** Every server suite runs on both: PGlite (the embedded default) and a real PostgreSQL. */
export const backends: Backend[] = ['pglite', 'postgres'];
/**
 * The PostgreSQL the suites use: `DATABASE_URL_TEST`, set by the caller or by the test run's
 * global setup (test/support/global-setup.ts), which starts an embedded PostgreSQL otherwise.
 */
export const postgresUrl = ((): string => {
  const url = process.env.DATABASE_URL_TEST;
  if (!url) throw new Error('DATABASE_URL_TEST is not set: run through `npm test` or set it');
  return url;
})();

export interface TestServer {
  services: Services;
  app: FastifyInstance;
  clock: ManualClock;
  db: Database;
  /**
   * PostgreSQL only: another API instance on the same database (its own pool, services, fold
   * cache and account locks), as a deployment with several instances has. Closed with this one.
   */
  anotherInstance(): Promise<{ services: Services; app: FastifyInstance; db: Database }>;
  close(): Promise<void>;
}

/** A fresh, migrated, seeded database (a new schema on PostgreSQL) and the app on top. */
export async function testServer(
  backend: Backend,
  opts: {
    ledger?: Partial<LedgerConfig>;
    auth?: Partial<AuthConfig>;
    app?: AppOptions;
    start?: string;
    /** Silent unless a test wants to read what was logged. */
    log?: Logger;
  } = {},
): Promise<TestServer> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db =
    backend === 'pglite'
      ? await openPglite()
      : await openPostgres(postgresUrl, { schema, max: 20 });
  await migrate(db);
  const clock = new ManualClock(opts.start);
  const services = createServices({
    db,
    clock,
    keys: keysFromSecrets(testServerKey.secretKey),
    ledger: opts.ledger,
    auth: { signupBonus: null, signInAttempts: 5, ...opts.auth },
    log: opts.log ?? createLogger('off'),
  });
  await services.catalog.seed();
  const app = buildApp(services, opts.app);
  await app.ready();
  const others: Array<{ app: FastifyInstance; db: Database }> = [];
  return {
    services,
    app,
    clock,
    db,
    async anotherInstance() {
      if (backend !== 'postgres') throw new Error('PGlite has one process: no second instance');
      const otherDb = await openPostgres(postgresUrl, { schema, max: 20 });
      const otherServices = createServices({
        db: otherDb,
        clock,
        keys: keysFromSecrets(testServerKey.secretKey),
        ledger: opts.ledger,
        auth: { signupBonus: null, signInAttempts: 5, ...opts.auth },
        log: opts.log ?? createLogger('off'),
      });
      const otherApp = buildApp(otherServices, opts.app);
      await otherApp.ready();
      others.push({ app: otherApp, db: otherDb });
      return { services: otherServices, app: otherApp, db: otherDb };
    },
    async close() {
      for (const other of others) {
        await other.app.close();
        await other.db.close();
      }
      await app.close();
      await db.close();
      if (backend === 'postgres') {
        const admin = new pg.Client({ connectionString: postgresUrl });
        await admin.connect();
        await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      }
    },
  };
}

let emailCounter = 0;
/** Signs up a new account through HTTP and returns its id and bearer header. */
export async function signUp(app: FastifyInstance) {
  const email = `user${++emailCounter}-${randomBytes(3).toString('hex')}@example.com`;
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/signup',
    payload: { email, password: 'correct horse battery' },
  });
  if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ accountId: string; token: string }>();
  return {
    accountId: body.accountId,
    email,
    token: body.token,
    headers: { authorization: `Bearer ${body.token}` },
  };
}

let opCounter = 0;
export const opId = (prefix = 'op'): string =>
  `${prefix}-${Date.now().toString(36)}-${++opCounter}-${randomBytes(3).toString('hex')}`;

export async function headSeq(db: Database, accountId: string): Promise<number> {
  const { rows } = await db.query<{ head_seq: number }>(
    'select head_seq from accounts where id = $1',
    [accountId],
  );
  return rows[0]?.head_seq ?? -1;
}

export async function entryCount(db: Database): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from entries');
  return rows[0]?.n ?? 0;
}

/**
 * PostgreSQL: a test server and a second API instance on the same database, both listening on
 * loopback, with no daily credits (docs/architecture.md §2: only the row lock serialises them).
 */
export async function twoListeningInstances(): Promise<{ t: TestServer; bases: string[] }> {
  const t = await testServer('postgres', { ledger: { dailyCreditsByPlan: {} } });
  const other = await t.anotherInstance();
  const bases = [
    await t.app.listen({ port: 0, host: '127.0.0.1' }),
    await other.app.listen({ port: 0, host: '127.0.0.1' }),
  ];
  return { t, bases };
}
