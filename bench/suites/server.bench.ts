import { spawn } from 'node:child_process';
import { createLogger } from '../../shared/log/logger';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Benchmark } from '../harness';
import { systemClock } from '../../server/clock';
import type { Database } from '../../server/db/database';
import { migrate } from '../../server/db/migrations';
import { openPglite } from '../../server/db/pglite';
import { openPostgres } from '../../server/db/postgres';
import { buildApp } from '../../server/http/app';
import { keysFromSecrets } from '../../server/keys';
import { createServices, type Services } from '../../server/services';
import { postgresUrl } from '../../server/testing/harness';
import { testServerKey } from '../../shared/testing/ledger-fixture';
import { buildRealisticChain } from '../fixtures/chain';
import { setupTpcb, tpcbDescription, tpcbTransaction } from '../tpcb';

const here = dirname(fileURLToPath(import.meta.url));
const CLIENTS = 32;
const SECONDS = 4;

export async function setup(backend: 'postgres' | 'pglite') {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const db: Database =
    backend === 'pglite'
      ? await openPglite()
      : await openPostgres(postgresUrl, { schema, max: CLIENTS + 4 });
  await migrate(db);
  const services = createServices({
    db,
    clock: systemClock,
    keys: keysFromSecrets(testServerKey.secretKey),
    auth: { signupBonus: null },
    log: createLogger('off'),
  });
  await services.catalog.seed();
  const app = buildApp(services);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const drop = async () => {
    await app.close();
    await db.close();
    if (backend === 'postgres') {
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
  };
  return { services, base, drop };
}

async function accounts(services: Services, n: number) {
  const out: Array<{ accountId: string; token: string }> = [];
  for (let i = 0; i < n; i++) {
    const s = await services.auth.signUp(
      `bench${i}-${randomBytes(4).toString('hex')}@example.com`,
      'correct horse battery',
    );
    await services.ledger.grant(s.accountId, {
      operationId: `bench-fund-${i}`,
      amount: 1_000_000_000,
      source: 'promo',
      reason: 'bench',
    });
    out.push(s);
  }
  return out;
}

/** Runs `pair` in `CLIENTS` concurrent loops for `SECONDS`; returns pairs per second. */
async function loop(pair: (client: number, i: number) => Promise<void>): Promise<number> {
  const until = performance.now() + SECONDS * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; performance.now() < until; i++) {
        await pair(c, i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/** Runs the load generator (bench/loadgen.ts) in its own process, as real clients are. */
export async function runLoadgen(
  bases: string | string[],
  tokens: string[],
  prefix: string,
  clients?: number,
  client: 'http' | 'fetch' = 'http',
): Promise<{
  pairsPerSecond: number;
  p50: number;
  p99: number;
  coldP99: number;
  cpuShare: number;
  loopDelayP99: number;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'loadgen.ts')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      const r = JSON.parse(out) as {
        pairs: number;
        seconds: number;
        p50: number;
        p99: number;
        coldP99: number;
        cpuShare: number;
        loopDelayP99: number;
      };
      resolve({
        pairsPerSecond: r.pairs / r.seconds,
        p50: r.p50,
        p99: r.p99,
        coldP99: r.coldP99,
        cpuShare: r.cpuShare,
        loopDelayP99: r.loopDelayP99,
      });
    });
    child.stdin.end(
      JSON.stringify({ base: bases, tokens, seconds: SECONDS, prefix, clients, client }),
    );
  });
}

async function holdsBench(backend: 'postgres' | 'pglite') {
  const { services, base, drop } = await setup(backend);
  try {
    const users = await accounts(services, CLIENTS);
    const purpose = { kind: 'job' as const, jobId: 'bench', tool: 'generate' };
    // Baseline: a TPC-B-like workload through the same driver and pool, same clients, same run.
    await setupTpcb(services.db);
    const tpcb = await loop(() => tpcbTransaction(services.db));
    // For comparison: the same ledger transactions, called directly (no HTTP).
    const direct = await loop(async (c, i) => {
      const u = users[c]!;
      const h = await services.ledger.hold(u.accountId, {
        operationId: `bench-direct-${c}-${i}-h`,
        kind: 'image',
        amount: 6,
        purpose,
      });
      await services.ledger.capture(u.accountId, h.body.holdId, {
        operationId: `bench-direct-${c}-${i}-c`,
        amount: 6,
      });
    });
    const http = await runLoadgen(
      base,
      users.map((u) => u.token),
      'bench-http',
    );
    return {
      value: http.pairsPerSecond,
      unit: 'pairs/s',
      baseline: tpcb,
      better: 'higher' as const,
      note: `hold+capture pairs over HTTP from ${CLIENTS} concurrent clients in a separate process, ${SECONDS} s after 1 s of the same load (its p99 reported apart); baseline: ${tpcbDescription} transactions/s through the same driver and pool, ${CLIENTS} clients, same run; target ratio ≥ 0.5, p99 < 50 ms`,
      extra: {
        'TPC-B-like tps': Math.round(tpcb),
        'direct pairs/s (no HTTP)': Math.round(direct),
        'request p50 ms': Math.round(http.p50 * 10) / 10,
        'request p99 ms': Math.round(http.p99 * 10) / 10,
        'request p99 ms in the 1 s warm-up before the window': Math.round(http.coldP99 * 10) / 10,
        'load generator CPU (cores)': Math.round(http.cpuShare * 100) / 100,
        'load generator loop delay p99 ms': Math.round(http.loopDelayP99 * 10) / 10,
      },
    };
  } finally {
    await drop();
  }
}

export const benchmarks: Benchmark[] = [
  {
    id: 'server-holds-pg',
    title: 'Hold+capture pairs per second on PostgreSQL',
    run: () => holdsBench('postgres'),
  },
  {
    id: 'server-holds-pglite',
    title: 'Hold+capture pairs per second on PGlite',
    run: () => holdsBench('pglite'),
  },
  {
    id: 'sync-pull-100k',
    title: 'Serve 100,000 entries to a client in batches',
    async run() {
      const { services, base, drop } = await setup('postgres');
      try {
        const s = await services.auth.signUp(
          `pull-${randomBytes(4).toString('hex')}@example.com`,
          'correct horse battery',
        );
        const chain = buildRealisticChain(100_000, s.accountId, { withBalances: true });
        // Replace the account's chain with the prebuilt one (bulk insert, 1,000 rows a statement).
        await services.db.query('delete from entries where account_id = $1', [s.accountId]);
        for (let i = 0; i < chain.entries.length; i += 1000) {
          const slice = chain.entries.slice(i, i + 1000);
          const values: unknown[] = [];
          const rows = slice.map((e, j) => {
            values.push(
              s.accountId,
              e.seq,
              e.hash,
              e.body,
              e.data.type,
              e.data.at,
              e.data.operationId,
              JSON.stringify(chain.balances[i + j]),
            );
            const o = j * 8;
            return `($${o + 1},$${o + 2},$${o + 3},$${o + 4},$${o + 5},$${o + 6},$${o + 7},$${o + 8})`;
          });
          await services.db.query(
            `insert into entries (account_id, seq, hash, body, type, at, operation_id, balances_after) values ${rows.join(',')}`,
            values,
          );
        }
        const last = chain.entries.at(-1)!;
        await services.db.query(
          // Today's daily and this month's monthly credits counted as granted: no write adds entries.
          'update accounts set head_seq = $2, head_hash = $3, last_daily_date = $4, last_monthly_period = $5 where id = $1',
          [
            s.accountId,
            last.seq,
            last.hash,
            new Date().toISOString().slice(0, 10),
            new Date().toISOString().slice(0, 7),
          ],
        );
        const pullAll = async () => {
          let after = 0;
          let n = 0;
          for (;;) {
            const res = await fetch(`${base}/v1/ledger/entries?after=${after}&limit=5000`, {
              headers: { authorization: `Bearer ${s.token}` },
            });
            const batch = (await res.json()) as {
              entries: unknown[];
              checkpoint: { checkpoint: { seq: number } };
              headSeq: number;
            };
            n += batch.entries.length;
            after = batch.checkpoint.checkpoint.seq;
            if (after >= batch.headSeq) return n;
          }
        };
        await pullAll(); // warm-up
        const t = performance.now();
        const n = await pullAll();
        const ms = performance.now() - t;
        // Baseline: reading the same rows straight from the database, no HTTP, no JSON, no signing.
        const t2 = performance.now();
        for (let after = 0; after < last.seq; after += 5000) {
          await services.db.query(
            'select seq, hash, body, balances_after from entries where account_id = $1 and seq > $2 order by seq limit 5000',
            [s.accountId, after],
          );
        }
        const sqlMs = performance.now() - t2;
        return {
          value: (n / ms) * 1000,
          unit: 'entries/s',
          baseline: (n / sqlMs) * 1000,
          better: 'higher',
          note: 'HTTP pull in batches of 5,000 with a signed checkpoint each, PostgreSQL; baseline: the same rows read straight from SQL',
          extra: { 'total ms': Math.round(ms) },
        };
      } finally {
        await drop();
      }
    },
  },
];
