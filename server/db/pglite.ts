import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { type Database, type Sql, assertOutsideTransaction, markTransaction } from './database';

/**
 * PGlite: PostgreSQL compiled to WASM, in-process. `dataDir` keeps it on disk (the embedded
 * default); without it the database lives in memory (tests). One connection, so transactions
 * run one at a time, which also serialises the per-account row locks.
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  const query: Sql['query'] = async <R extends object>(text: string, params?: unknown[]) => {
    assertOutsideTransaction();
    const r = await db.query<R>(text, params);
    return { rows: r.rows };
  };
  return {
    kind: 'pglite',
    query,
    async transaction(fn) {
      assertOutsideTransaction();
      return db.transaction(async (t) => {
        const tx: Sql = {
          query: async <R extends object>(text: string, params?: unknown[]) => ({
            rows: (await t.query<R>(text, params)).rows,
          }),
        };
        return markTransaction(() => fn(tx));
      });
    },
    async exec(text) {
      await db.exec(text);
    },
    async close() {
      await db.close();
    },
  };
}
