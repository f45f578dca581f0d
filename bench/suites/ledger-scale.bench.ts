import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Benchmark } from '../harness';
import { systemClock } from '../../server/clock';
import { buildApp } from '../../server/http/app';
import { keysFromSecrets } from '../../server/keys';
import { createServices } from '../../server/services';
import type { Database } from '../../server/db/database';
import { createLogger } from '../../shared/log/logger';
import { testServerKey } from '../../shared/testing/ledger-fixture';
import { migrate } from '../../server/db/migrations';
import { openPostgres } from '../../server/db/postgres';
import { postgresUrl } from '../../server/testing/harness';
import { seedChain, seedChains } from '../fixtures/seed-ledger';
import { setup } from './server.bench';

/** A new process's services on the same database: nothing cached (a restart). */
const restart = (db: Database) =>
  createServices({
    db,
    clock: systemClock,
    keys: keysFromSecrets(testServerKey.secretKey),
    auth: { signupBonus: null },
    log: createLogger('off'),
  });

const purpose = { kind: 'job' as const, jobId: 'bench', tool: 'generate' };

async function coldAccount() {
  const { services, drop } = await setup('postgres');
  try {
    const big = await services.auth.signUp(
      `cold-${randomBytes(4).toString('hex')}@example.com`,
      'correct horse battery',
    );
    const small = await services.auth.signUp(
      `warm-${randomBytes(4).toString('hex')}@example.com`,
      'correct horse battery',
    );
    let t = performance.now();
    await seedChain(services.db, big.accountId, 1_000_000);
    const seedMs = performance.now() - t;
    // The first write ever after the chain was stored: no snapshot yet, the whole chain folds.
    t = performance.now();
    const first = restart(services.db);
    await first.ledger.hold(big.accountId, {
      operationId: `cold-full-${randomBytes(4).toString('hex')}`,
      kind: 'image',
      amount: 6,
      purpose,
    });
    const fullMs = performance.now() - t;
    // A tail after the snapshot, as the chain keeps growing between snapshots.
    for (let i = 0; i < 200; i++) {
      const h = await first.ledger.hold(big.accountId, {
        operationId: `cold-tail-${i}-h`,
        kind: 'image',
        amount: 6,
        purpose,
      });
      await first.ledger.capture(big.accountId, h.body.holdId, {
        operationId: `cold-tail-${i}-c`,
        amount: 6,
      });
    }
    // Restarts: a new process with its HTTP server; the first write to the big account, timed.
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const app = buildApp(restart(services.db));
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const hold = (token: string, op: string) =>
        fetch(`${base}/v1/ledger/holds`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ operationId: op, amount: 6, purpose }),
        });
      try {
        // The process's own first request (JIT, connections) is not the account's cost.
        await (await hold(small.token, `warm-${r}-${randomBytes(4).toString('hex')}`)).text();
        t = performance.now();
        const res = await hold(big.token, `cold-${r}-${randomBytes(4).toString('hex')}`);
        await res.text();
        times.push(performance.now() - t);
        if (res.status !== 201) throw new Error(`cold hold answered ${res.status}`);
      } finally {
        await app.close();
      }
    }
    times.sort((a, b) => a - b);
    const { rows } = await services.db.query<{ seq: number; head_seq: number; bytes: number }>(
      'select s.seq, a.head_seq, length(s.state) as bytes from ledger_snapshots s join accounts a on a.id = s.account_id where a.id = $1',
      [big.accountId],
    );
    const snap = rows[0];
    return {
      value: times[1]!,
      unit: 'ms',
      baseline: fullMs,
      better: 'lower' as const,
      note: 'first HTTP write to an account with 1,000,000 entries after a restart (median of 3 restarts), PostgreSQL; baseline: the same first write with no snapshot yet (whole chain folded, hash-checked); target < 50 ms (11.4 s before snapshots)',
      extra: {
        'seed 1M entries s': Math.round(seedMs / 100) / 10,
        'snapshot tail entries': snap ? snap.head_seq - snap.seq : -1,
        'snapshot KB': snap ? Math.round(snap.bytes / 1024) : -1,
        'restart times ms': times.map((x) => Math.round(x)).join(' / '),
      },
    };
  } finally {
    await drop();
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const SHORT_ACCOUNTS = 20_000;
const LONG_ACCOUNTS = 20;
const LONG_ENTRIES = 100_000;

/** Server RSS after one write to 20,000 short accounts and 20 of 100,000 entries each. */
async function rssBounded() {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const db = await openPostgres(postgresUrl, { schema, max: 4 });
  try {
    await migrate(db);
    const total = SHORT_ACCOUNTS + LONG_ACCOUNTS;
    await db.query(
      `insert into accounts (id, email, password_hash, created_at, head_hash)
       select 'rss-' || g, 'rss-' || g || '@example.com', 'x', '2026-01-01T00:00:00.000Z', repeat('0', 64)
         from generate_series(1, $1::int) g`,
      [total],
    );
    const ids = Array.from({ length: total }, (_, i) => `rss-${i + 1}`);
    const long = ids.slice(SHORT_ACCOUNTS);
    let t = performance.now();
    await seedChains(db, ids.slice(0, SHORT_ACCOUNTS), 10);
    await seedChains(db, long, LONG_ENTRIES);
    const seedMs = performance.now() - t;
    // Short and long accounts interleaved, as requests arrive.
    const order = ids.slice(0, SHORT_ACCOUNTS);
    long.forEach((id, i) => order.splice(i * 1000, 0, id));
    t = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(here, '..', 'rss-server.ts')],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`server process exited with ${code}`)),
      );
      child.stdin.end(JSON.stringify({ url: postgresUrl, schema, accountIds: order }));
    });
    const r = JSON.parse(out) as {
      rss: number;
      peak: number;
      heapUsed: number;
      cachedFolds: number;
      seconds: number;
    };
    const mb = (b: number) => Math.round(b / 1024 / 1024);
    return {
      value: mb(r.rss),
      unit: 'MB',
      baseline: 512,
      better: 'lower' as const,
      note: `RSS of a server process after one write to each of ${SHORT_ACCOUNTS.toLocaleString('en')} accounts with 10 entries and ${LONG_ACCOUNTS} with ${LONG_ENTRIES.toLocaleString('en')}, PostgreSQL, default fold cache budget; baseline: the 512 MB target`,
      extra: {
        'peak RSS MB': mb(r.peak),
        'heap used MB': mb(r.heapUsed),
        'cached folds': r.cachedFolds,
        'writes s': Math.round(r.seconds),
        'seed s': Math.round(seedMs / 1000),
      },
    };
  } finally {
    await db.close();
    const c = new pg.Client({ connectionString: postgresUrl });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  }
}

export const benchmarks: Benchmark[] = [
  {
    id: 'cold-account-1m',
    title: 'First write after a restart to an account with 1,000,000 entries',
    run: coldAccount,
  },
  {
    id: 'server-rss-bounded',
    title: 'Server memory after writes to 20,000 short and 20 long accounts',
    run: rssBounded,
  },
];
