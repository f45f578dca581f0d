import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { fold } from '../shared/wallet/fold';
import { postgresUrl } from '../server/testing/harness';
import { freePort } from './support/ports';
import { pullVerifiedChain, startServerProcess } from './support/server-process';

interface Acked {
  path: string;
  body: Record<string, unknown>;
  status: number;
  response: unknown;
  token: string;
}

describe.each(['postgres', 'pglite'] as const)('crash recovery on %s', (backend) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'easel-crash-'));
  const schema = `crash_${randomBytes(5).toString('hex')}`;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    if (backend === 'postgres') {
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
  });

  it('after SIGKILL mid-stream, every acknowledged operation is present exactly once and every chain verifies', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = { EASEL_DATA_DIR: dataDir };
    if (backend === 'postgres') {
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`create schema ${schema}`);
      await c.end();
      env.DATABASE_URL = `${postgresUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    }
    child = (await startServerProcess(port, env)).child;

    const call = async (path: string, token: string, body: Record<string, unknown>) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, response: (await res.json()) as unknown };
    };
    const accounts: Array<{ accountId: string; token: string }> = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `crash${i}-${schema}@example.com`,
          password: 'correct horse battery',
        }),
      });
      accounts.push((await res.json()) as { accountId: string; token: string });
    }

    const acked: Acked[] = [];
    const attempted: Omit<Acked, 'status' | 'response'>[] = [];
    let killed = false;
    const stream = async (token: string, n: number) => {
      for (let i = 0; i < 60 && !killed; i++) {
        const holdBody = {
          operationId: `crash-${n}-${i}-hold`,
          amount: 1,
          purpose: { kind: 'job', jobId: `j${n}-${i}`, tool: 'generate' },
        };
        attempted.push({ path: '/v1/ledger/holds', body: holdBody, token });
        try {
          const hold = await call('/v1/ledger/holds', token, holdBody);
          if (hold.status !== 201) throw new Error(`hold ${hold.status}`);
          acked.push({ path: '/v1/ledger/holds', body: holdBody, token, ...hold });
          const holdId = (hold.response as { holdId: string }).holdId;
          const capBody = { operationId: `crash-${n}-${i}-cap`, amount: 1 };
          const path = `/v1/ledger/holds/${holdId}/capture`;
          attempted.push({ path, body: capBody, token });
          const cap = await call(path, token, capBody);
          if (cap.status !== 200) throw new Error(`capture ${cap.status}`);
          acked.push({ path, body: capBody, token, ...cap });
        } catch {
          return; // the server died under us
        }
      }
    };
    const running = accounts.map((a, n) => stream(a.token, n));
    // Kill the server in the middle of the stream, with requests in flight.
    while (acked.length < 40) await new Promise((r) => setTimeout(r, 5));
    killed = true;
    child.kill('SIGKILL');
    await Promise.all(running);
    expect(acked.length).toBeGreaterThanOrEqual(40);

    child = (await startServerProcess(port, env)).child;

    // Every acknowledged operation replays to its first result: it is stored, once.
    for (const a of acked) {
      const again = await call(a.path, a.token, a.body);
      expect(again.status).toBe(a.status);
      expect(again.response).toEqual(a.response);
    }
    // Operations in flight at the kill were never acknowledged: a retry must answer cleanly
    // (replayed if it had committed, applied now if not); the chain check below then proves
    // that none of them landed twice.
    const unacked = attempted.filter(
      (a) => !acked.some((k) => k.body.operationId === a.body.operationId),
    );
    for (const a of unacked) expect((await call(a.path, a.token, a.body)).status).toBeLessThan(500);
    for (const account of accounts) {
      const { bodies } = await pullVerifiedChain(base, account);
      const ops = bodies.map((b) => b.operationId);
      expect(new Set(ops).size).toBe(ops.length); // no operation twice
      for (const a of acked.filter((x) => x.token === account.token))
        expect(ops).toContain(a.body.operationId);
      expect(() => fold(bodies, new Date().toISOString())).not.toThrow();
    }
  }, 240_000);
});
