import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log/logger';
import { testServerKey } from '../../shared/testing/ledger-fixture';
import { ManualClock } from '../clock';
import type { Database } from '../db/database';
import { migrate } from '../db/migrations';
import { openPostgres } from '../db/postgres';
import { keysFromSecrets } from '../keys';
import { createServices } from '../services';
import { postgresUrl } from '../testing/harness';

/**
 * docs/architecture.md §9: instances started together on one empty PostgreSQL all start; the
 * default price book and the demo designs are seeded once, under the migrations' lock.
 */
describe('seeding on PostgreSQL', () => {
  const schemas: string[] = [];
  const open: Database[] = [];
  afterAll(async () => {
    for (const db of open) await db.close();
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    for (const schema of schemas) await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  /** What each instance does at start (server/start.ts): migrate, then seed. */
  const start = async (schema: string) => {
    const db = await openPostgres(postgresUrl, { schema, max: 2 });
    open.push(db);
    await migrate(db);
    const services = createServices({
      db,
      clock: new ManualClock('2026-11-02T10:00:00.000Z'),
      keys: keysFromSecrets(testServerKey.secretKey),
      log: createLogger('off'),
    });
    await services.catalog.seed();
    return db;
  };

  it('four instances started together on an empty database all start and seed once', async () => {
    for (let round = 0; round < 3; round++) {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      // An empty database (its schema made first: openPostgres's own create is for tests).
      await openPostgres(postgresUrl, { schema, max: 1 }).then((db) => open.push(db));
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => start(schema)));
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'started'))).toEqual([
        'started',
        'started',
        'started',
        'started',
      ]);
      const db = (results[0] as PromiseFulfilledResult<Database>).value;
      const books = await db.query<{ n: number }>('select count(*)::int as n from price_books');
      expect(books.rows[0]?.n).toBe(1);
      const designs = await db.query<{ n: number }>('select count(*)::int as n from designs');
      expect(designs.rows[0]?.n).toBeGreaterThan(0);
      const ids = await db.query<{ n: number }>('select count(distinct id)::int as n from designs');
      expect(ids.rows[0]?.n).toBe(designs.rows[0]?.n);
    }
  });
});
