import pg from 'pg';
import {
  type Database,
  DatabaseUnavailableError,
  type Sql,
  assertOutsideTransaction,
  isConnectionLoss,
  markTransaction,
} from './database';

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
  /** A lost connection becomes DatabaseUnavailableError (503, retryable); others pass. */
  const unavailable = (error: unknown): unknown =>
    isConnectionLoss(error) && !(error instanceof DatabaseUnavailableError)
      ? new DatabaseUnavailableError(error)
      : error;
  const query: Sql['query'] = async (text, params) => {
    assertOutsideTransaction();
    try {
      const r = await pool.query(text, params as unknown[] | undefined);
      return { rows: r.rows };
    } catch (error) {
      throw unavailable(error);
    }
  };
  return {
    kind: 'postgres',
    query,
    async transaction(fn) {
      assertOutsideTransaction();
      const client = await pool.connect().catch((error: unknown) => {
        throw unavailable(error);
      });
      // A checked-out client has no pool listener: without ours, a backend terminated while
      // this transaction runs would be an unhandled 'error' event and end the process.
      let broken: unknown = null;
      const onError = (error: Error) => {
        broken ??= error;
      };
      client.on('error', onError);
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
        if (isConnectionLoss(error)) broken ??= error;
        if (!broken)
          await client.query('rollback').catch((e: unknown) => {
            broken = e;
          });
        throw broken ? unavailable(isConnectionLoss(error) ? error : broken) : error;
      } finally {
        if (broken) {
          // Destroyed, never handed to the next request (docs/architecture.md §9).
          client.release(broken instanceof Error ? broken : true);
        } else {
          client.off('error', onError);
          client.release();
        }
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
