import { AsyncLocalStorage } from 'node:async_hooks';

/** The SQL surface the server uses; PostgreSQL (`pg`) and PGlite both implement it. */
export interface Sql {
  query<R extends object = Record<string, unknown>>(
    text: string,
    params?: unknown[],
  ): Promise<{ rows: R[] }>;
}

export interface Database extends Sql {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; rolls back if it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** Runs several statements separated by semicolons (migrations). */
  exec(text: string): Promise<void>;
  close(): Promise<void>;
}

const insideTransaction = new AsyncLocalStorage<true>();

/**
 * Runs `fn` marked as inside a transaction. A query through the database handle (instead of
 * the transaction's) from inside it is a bug: on PGlite's single connection it waits forever,
 * on PostgreSQL it reads outside the transaction. `assertOutsideTransaction` turns it into an error.
 */
export function markTransaction<T>(fn: () => Promise<T>): Promise<T> {
  return insideTransaction.run(true, fn);
}

export function assertOutsideTransaction(): void {
  if (insideTransaction.getStore()) {
    throw new Error(
      'query through the database handle inside a transaction: use the transaction (tx) instead',
    );
  }
}

/** PostgreSQL's unique-violation code, raised by both drivers. */
export function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505'
  );
}

/**
 * The database connection was lost mid-request (a failover, an idle timeout, a terminated
 * backend). Nothing was committed; the request may be retried (answered 503).
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      'the database connection was lost; try again (a retry with the same operation id never applies twice)',
      { cause },
    );
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * True for an error that means the connection itself is gone: PostgreSQL's shutdown and
 * connection-exception classes (57P01–57P03, 08xxx), or the driver finding the socket closed.
 */
export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^57P0[1-3]$/.test(code) || code.startsWith('08'))) return true;
  if (
    typeof code === 'string' &&
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)
  )
    return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|Client has encountered a connection error|not queryable|connection timeout/i.test(
      message,
    )
  );
}
