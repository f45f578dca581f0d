import pg from 'pg';
import { type Database, type Sql, assertOutsideTransaction, markTransaction } from './database';

/**
 * PostgreSQL through a `pg` pool. `schema`, when given, is created if missing and used as the
 * search path of every connection (tests isolate themselves this way on one database).
 */
export async function openPostgres(
  url: string,
  options: { schema?: string; max?: number } = {},
): Promise<Database> {
  const { schema } = options;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error(`bad schema name ${schema}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema if not exists ${schema}`);
    await admin.end();
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 16,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', () => {
    /* an idle client died (e.g. server restart); the pool replaces it */
  });
  const query: Sql['query'] = async (text, params) => {
    assertOutsideTransaction();
    const r = await pool.query(text, params as unknown[] | undefined);
    return { rows: r.rows };
  };
  return {
    kind: 'postgres',
    query,
    async transaction(fn) {
      assertOutsideTransaction();
      const client = await pool.connect();
      try {
        await client.query('begin');
        const tx: Sql = {
          query: async (text, params) => ({
            rows: (await client.query(text, params as unknown[] | undefined)).rows,
          }),
        };
        const result = await markTransaction(() => fn(tx));
        await client.query('commit');
        return result;
      } catch (error) {
        // A failed rollback means a broken connection, which pg discards; the error is thrown.
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async exec(text) {
      await pool.query(text);
    },
    async close() {
      await pool.end();
    },
  };
}
