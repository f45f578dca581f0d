import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullResponse } from '../shared/api/ledger';
import type { WireEntry } from '../shared/ledger/entry';
import { parseEntry } from '../shared/ledger/chain';
import { verifyChain } from '../shared/ledger/verify';
import { createLogger } from '../shared/log/logger';
import { testServerKey, testServerKeys } from '../shared/testing/ledger-fixture';
import { ManualClock } from '../server/clock';
import type { Database } from '../server/db/database';
import { migrate } from '../server/db/migrations';
import { openPostgres } from '../server/db/postgres';
import { buildApp } from '../server/http/app';
import { keysFromSecrets } from '../server/keys';
import { createServices } from '../server/services';
import { postgresUrl, signUp } from '../server/testing/harness';

/**
 * Faults beside the crash suite (docs/architecture.md §9, §12): the server's PostgreSQL
 * backends are terminated again and again while it writes; it keeps serving, a client that
 * retries 503s with the same operation id loses nothing and applies nothing twice, and the
 * chain verifies.
 */
describe('PostgreSQL backends killed mid-write, repeatedly', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  // Only this suite's connections carry this name: other suites on the same server are spared.
  const appName = `easel_fault_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  let db: Database;
  beforeAll(async () => {
    await admin.connect();
    const url = new URL(postgresUrl);
    url.searchParams.set('application_name', appName);
    db = await openPostgres(url.toString(), { schema, max: 4 });
    await migrate(db);
    // Each stored entry takes 20 ms: a write is one short statement (docs/architecture.md §2),
    // and the killer must meet writes in flight to kill them mid-way.
    await db.exec(`
      create function slow_entry() returns trigger language plpgsql as $$
        begin perform pg_sleep(0.02); return new; end $$;
      create trigger slow_entry before insert on entries for each row execute function slow_entry()`);
  });
  afterAll(async () => {
    await db.close();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  it('keeps serving; 0 acknowledged holds lost or doubled; the chain verifies', async () => {
    const services = createServices({
      db,
      clock: new ManualClock('2026-11-02T10:00:00.000Z'),
      keys: keysFromSecrets(testServerKey.secretKey),
      auth: { signupBonus: null },
      ledger: { dailyCreditsByPlan: {} },
      log: createLogger('off'),
    });
    await services.catalog.seed();
    const app = buildApp(services);
    await app.ready();
    const u = await signUp(app);
    await services.ledger.grant(u.accountId, {
      operationId: 'test:grant',
      amount: 10_000,
      source: 'promo',
      reason: 'test',
    });

    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        const { rows } = await admin.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
            where application_name = $1 and state <> 'idle'`,
          [appName],
        );
        kills += rows[0]?.n ?? 0;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 150));
      }
    })();

    const acknowledged: string[] = [];
    let unavailable = 0;
    try {
      const clients = Array.from({ length: 4 }, async (_, c) => {
        for (let i = 0; i < 15; i++) {
          const operationId = `fault-${c}-${i}`;
          for (let attempt = 0; ; attempt++) {
            const res = await app.inject({
              method: 'POST',
              url: '/v1/ledger/holds',
              headers: u.headers,
              payload: {
                operationId,
                kind: 'image',
                amount: 1,
                purpose: { kind: 'job', jobId: `job-${c}-${i}`, tool: 'generate' },
              },
            });
            if (res.statusCode === 201) {
              acknowledged.push(operationId);
              break;
            }
            // Only a lost connection may refuse it, and then the same request is retried.
            expect(res.statusCode, res.body).toBe(503);
            unavailable++;
            if (attempt > 50) throw new Error(`${operationId} never went through`);
          }
        }
      });
      await Promise.all(clients);
    } finally {
      killing = false;
      await killer;
    }
    expect(kills).toBeGreaterThan(0);
    expect(unavailable).toBeGreaterThan(0);
    expect(acknowledged).toHaveLength(60);

    // The chain, pulled from the same server: every acknowledged hold once, nothing else.
    const entries: WireEntry[] = [];
    let after = 0;
    let last: PullResponse | undefined;
    do {
      const res = await app.inject({
        method: 'GET',
        url: `/v1/ledger/entries?after=${after}&limit=100`,
        headers: u.headers,
      });
      last = PullResponse.parse(res.json());
      const verdict = verifyChain(last.entries, last.checkpoint, testServerKeys, {
        accountId: u.accountId,
        from: after === 0 ? undefined : { seq: after, hash: entries.at(-1)!.hash },
      });
      expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
      entries.push(...last.entries);
      after = last.checkpoint.checkpoint.seq;
    } while (after < last.headSeq);
    const holds = entries.map((e) => parseEntry(e).data).filter((b) => b.type === 'hold');
    expect(holds.map((h) => h.operationId).sort()).toEqual([...acknowledged].sort());
    const wallet = await services.ledger.wallet(u.accountId);
    expect(wallet.balances.image).toMatchObject({ balance: 10_000, held: 60 });
    await app.close();
    console.log(`db-fault: ${kills} backends terminated, ${unavailable} requests answered 503`);
  }, 240_000);
});
