import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Benchmark } from '../harness';
import { GENESIS_HASH } from '../../shared/ledger/primitives';
import { systemClock } from '../../server/clock';
import { migrate } from '../../server/db/migrations';
import { openPostgres } from '../../server/db/postgres';
import { keysFromSecrets } from '../../server/keys';
import { sha256Hex } from '../../server/node-digest';
import { createServices } from '../../server/services';
import { postgresUrl } from '../../server/testing/harness';
import { createLogger } from '../../shared/log/logger';
import { testServerKey } from '../../shared/testing/ledger-fixture';
import { setupTpcb, tpcbTransaction } from '../tpcb';
import { runLoadgen } from './server.bench';

const here = dirname(fileURLToPath(import.meta.url));
const ACCOUNTS = 1000;
const INSTANCES = 4;
/** Concurrent clients in both runs (one instance, then four). */
const CLIENTS = 64;

/** An API instance in its own process (bench/instance.ts); resolves with its base url. */
function startInstance(schema: string): Promise<{ base: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'instance.ts')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ base: (JSON.parse(out) as { base: string }).base, child });
    });
    child.on('exit', (code) => reject(new Error(`instance exited with ${code}`)));
    child.stdin!.write(`${JSON.stringify({ url: postgresUrl, schema, max: 24 })}\n`);
  });
}

/** 1,000 funded accounts with a session each, made in bulk (sign-up's scrypt would take minutes). */
async function seedAccounts(schema: string): Promise<string[]> {
  const db = await openPostgres(postgresUrl, { schema, max: 8 });
  await migrate(db);
  const services = createServices({
    db,
    clock: systemClock,
    keys: keysFromSecrets(testServerKey.secretKey),
    auth: { signupBonus: null },
    log: createLogger('off'),
  });
  await services.catalog.seed();
  const now = new Date().toISOString();
  const later = new Date(Date.now() + 86_400_000).toISOString();
  const tokens: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = `acct_bench_${i}_${randomBytes(4).toString('hex')}`;
    const token = randomBytes(24).toString('base64url');
    await db.query(
      'insert into accounts (id, email, password_hash, created_at, head_hash) values ($1, $2, $3, $4, $5)',
      [id, `${id}@example.com`, 'x', now, GENESIS_HASH],
    );
    await db.query(
      'insert into sessions (token_hash, account_id, created_at, expires_at) values ($1, $2, $3, $4)',
      [sha256Hex(token), id, now, later],
    );
    await services.ledger.grant(id, {
      operationId: `bench-fund-${i}`,
      amount: 1_000_000_000,
      source: 'promo',
      reason: 'bench',
    });
    tokens.push(token);
  }
  // Same run, same database: the TPC-B-like rate for context (not the ratio's baseline).
  await setupTpcb(db);
  let tpcb = 0;
  const until = performance.now() + 4000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < until) {
        await tpcbTransaction(db);
        tpcb++;
      }
    }),
  );
  tpcbRate = tpcb / ((performance.now() - start) / 1000);
  await db.close();
  return tokens;
}
let tpcbRate = 0;

/** Reads each account's balance once on the instance that serves it, so folds and heads are warm. */
async function warm(bases: string[], tokens: string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let k = next++; k < tokens.length; k = next++) {
        const res = await fetch(`${bases[k % bases.length]}/v1/ledger/balance`, {
          headers: { authorization: `Bearer ${tokens[k]}` },
        });
        if (!res.ok) throw new Error(`balance: ${res.status}`);
      }
    }),
  );
}

export const benchmarks: Benchmark[] = [
  {
    id: 'server-holds-pg-4x',
    title: 'Hold+capture pairs per second, four API instances over one PostgreSQL',
    async run() {
      const schema = `bench_${randomBytes(5).toString('hex')}`;
      const children: ChildProcess[] = [];
      try {
        const tokens = await seedAccounts(schema);
        const instances = [];
        for (let i = 0; i < INSTANCES; i++) instances.push(await startInstance(schema));
        children.push(...instances.map((i) => i.child));
        const bases = instances.map((i) => i.base);
        await warm([bases[0]!], tokens);
        const one = await runLoadgen([bases[0]!], tokens, 'one', CLIENTS);
        await warm(bases, tokens);
        const four = await runLoadgen(bases, tokens, 'four', CLIENTS);
        return {
          value: four.pairsPerSecond,
          unit: 'pairs/s',
          baseline: one.pairsPerSecond,
          better: 'higher' as const,
          note: `hold+capture pairs over HTTP, ${CLIENTS} clients over ${ACCOUNTS.toLocaleString('en-US')} accounts (each account sticks to one instance; every account's balance read once on its instance first), ${INSTANCES} API processes over one PostgreSQL; baseline: the same load on one instance, same run; ratio = how far instances scale before the database (or the machine's cores) saturate`,
          extra: {
            'one instance pairs/s': Math.round(one.pairsPerSecond),
            'one instance p99 ms': Math.round(one.p99),
            'four instances p99 ms': Math.round(four.p99),
            'TPC-B-like tps (32 clients, same database)': Math.round(tpcbRate),
          },
        };
      } finally {
        for (const child of children) {
          child.stdin?.end();
          child.kill();
        }
        const c = new pg.Client({ connectionString: postgresUrl });
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      }
    },
  },
];
