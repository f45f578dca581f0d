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
