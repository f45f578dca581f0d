import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Sql } from './database';

/**
 * PGlite: PostgreSQL compiled to WASM, in-process. `dataDir` keeps it on disk (the embedded
 * default); without it the database lives in memory (tests). One connection, so transactions
 * run one at a time, which also serialises the per-account row locks.
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  const query: Sql['query'] = async <R extends object>(text: string, params?: unknown[]) => {
    const r = await db.query<R>(text, params);
    return { rows: r.rows };
  };
  return {
    kind: 'pglite',
    query,
    async transaction(fn) {
      return db.transaction(async (t) => {
        const tx: Sql = {
          query: async <R extends object>(text: string, params?: unknown[]) => ({
            rows: (await t.query<R>(text, params)).rows,
          }),
        };
        return fn(tx);
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
