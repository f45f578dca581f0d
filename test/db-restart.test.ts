import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceResponse } from '../shared/api/ledger';
import { fold } from '../shared/wallet/fold';
import { startEmbeddedPostgres, type TestPostgres } from './support/postgres';
import { freePort } from './support/ports';
import { pullVerifiedChain, startServerProcess } from './support/server-process';

/*
 * PostgreSQL restarted under a running server (docs/architecture.md §9, §12). The server runs as
 * its own process on a PostgreSQL of its own (never the machine's shared one): it is shut down
 * (fast, then immediate) while requests are in flight and started again. The server must stay
 * up, answer 503 `database-unavailable` within a bound while the database is away, serve again
 * on its own once it is back, and a client retrying with the same operation ids must end with
 * every acknowledged operation applied once and a balance that is the fold of its chain.
 */

/** No request may take longer than this, database down or not. */
const BOUND_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  body: unknown;
  ms: number;
}

interface Acked {
  path: string;
  body: Record<string, unknown>;
  token: string;
  answer: Answer;
}

describe('PostgreSQL restarted under a running server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'easel-restart-'));
  let pg: TestPostgres;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    pg = await startEmbeddedPostgres();
  }, 120_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, recovers on its own, loses and doubles nothing', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = await startServerProcess(port, {
      EASEL_DATA_DIR: dataDir,
      DATABASE_URL: pg.url,
    });
    child = server.child;
    const { alive, why } = server;

    /** A request bounded in time: a hang fails the test as surely as a crash does. */
    const call = async (
      method: 'GET' | 'POST',
      path: string,
      token: string,
      body?: Record<string, unknown>,
    ): Promise<Answer> => {
      const started = performance.now();
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(BOUND_MS),
      });
      return {
        status: res.status,
        body: (await res.json()) as unknown,
        ms: performance.now() - started,
      };
    };
    const accounts: Array<{ accountId: string; token: string }> = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `restart${i}@example.com`,
          password: 'correct horse battery',
        }),
      });
      expect(res.status).toBe(201);
      accounts.push((await res.json()) as { accountId: string; token: string });
    }

    const acked: Acked[] = [];
    const unavailable: Answer[] = [];
    const failures: string[] = [];
    let running = true;

    /** Sends until acknowledged, retrying 503s with the same operation id (what the app does). */
    const until = async (
      path: string,
      token: string,
      body: Record<string, unknown>,
      ok: number,
    ): Promise<Answer | null> => {
      for (let attempt = 0; attempt < 400; attempt++) {
        let a: Answer;
        try {
          a = await call('POST', path, token, body);
        } catch (error) {
          failures.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
          return null;
        }
        if (a.status === ok) {
          acked.push({ path, body, token, answer: a });
          return a;
        }
        if (a.status !== 503) {
          failures.push(
            `${path} ${String(body.operationId)}: ${a.status} ${JSON.stringify(a.body)}`,
          );
          return null;
        }
        unavailable.push(a);
        await sleep(100);
      }
      failures.push(`${String(body.operationId)} never went through`);
      return null;
    };
    const stream = async (token: string, n: number): Promise<void> => {
      for (let i = 0; running; i++) {
        const holdBody = {
          operationId: `restart-${n}-${i}-hold`,
          amount: 1,
          purpose: { kind: 'job', jobId: `j${n}-${i}`, tool: 'generate' },
        };
        const hold = await until('/v1/ledger/holds', token, holdBody, 201);
        if (!hold) return;
        const holdId = (hold.body as { holdId: string }).holdId;
        const cap = { operationId: `restart-${n}-${i}-cap`, amount: 1 };
        if (!(await until(`/v1/ledger/holds/${holdId}/capture`, token, cap, 200))) return;
      }
    };
    const streams = [0, 1, 2, 3].map((n) => stream(accounts[n % 2]!.token, n));
    const waitAcked = async (n: number, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (acked.length < n) {
        if (failures.length > 0 || !alive())
          throw new Error(`${what}: ${failures.join('; ') || why()}`);
        if (Date.now() > deadline) throw new Error(`${what}: only ${acked.length} acknowledged`);
        await sleep(20);
      }
    };

    const rounds: string[] = [];
    try {
      for (const mode of ['fast', 'immediate'] as const) {
        await waitAcked(acked.length + 20, `before the ${mode} shutdown`);
        const before = unavailable.length;
        await pg.pause(mode);
        const down = Date.now();
        // Down for a while with requests in flight: the server answers, and only 503.
        await sleep(1500);
        expect(alive(), why()).toBe(true);
        const probe = await call('GET', '/v1/ledger/balance', accounts[0]!.token);
        expect(probe.status, JSON.stringify(probe.body)).toBe(503);
        expect(probe.body).toMatchObject({ error: { code: 'database-unavailable' } });
        while (unavailable.length - before < 8 && Date.now() - down < 8000) await sleep(50);
        expect(alive(), why()).toBe(true);
        expect(failures).toEqual([]);
        const refused = unavailable.length - before;
        expect(refused).toBeGreaterThanOrEqual(8);
        const ackedWhileDown = acked.length;
        await pg.resume();
        // Back by itself: the pool reconnects, the streams go on with no restart of the server.
        await waitAcked(ackedWhileDown + 20, `after the ${mode} restart`);
        rounds.push(`${mode}: ${refused} answered 503 while down`);
      }
    } finally {
      running = false;
      await Promise.all(streams);
    }
    expect(failures).toEqual([]);
    expect(alive(), why()).toBe(true);
    for (const a of unavailable) {
      expect(a.body).toMatchObject({ error: { code: 'database-unavailable' } });
      expect(a.ms).toBeLessThan(BOUND_MS);
    }

    // Every acknowledged operation replays to its first answer: stored, once.
    for (const a of acked) {
      const again = await call('POST', a.path, a.token, a.body);
      expect(again.status).toBe(a.answer.status);
      expect(again.body).toEqual(a.answer.body);
    }

    for (const account of accounts) {
      const { entries, bodies } = await pullVerifiedChain(base, account);
      const ops = bodies.map((b) => b.operationId);
      expect(new Set(ops).size).toBe(ops.length);
      const mine = acked.filter((a) => a.token === account.token).map((a) => a.body.operationId);
      expect(ops).toEqual(expect.arrayContaining(mine));
      // Nothing beyond what was acknowledged (plus the signup grants) reached the chain.
      expect(ops.filter((o) => o.startsWith('restart-')).sort()).toEqual([...mine].sort());
      const balance = BalanceResponse.parse(
        (await call('GET', '/v1/ledger/balance', account.token)).body,
      );
      const folded = fold(bodies, new Date().toISOString());
      expect(balance.seq).toBe(entries.length);
      expect(balance.balances.image?.balance).toBe(folded.balances.image?.balance);
      expect(balance.balances.image?.held).toBe(0);
    }
    console.log(`db-restart: ${acked.length} acknowledged; ${rounds.join('; ')}`);
  }, 240_000);
});
