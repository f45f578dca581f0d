import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PullResponse } from '../../shared/api/ledger';
import { EaselError } from '../../shared/ipc/contract';
import { GENESIS, type ChainHead } from '../../shared/ledger/chain';
import { signCheckpoint, type SignedCheckpoint } from '../../shared/ledger/checkpoint';
import type { WireEntry } from '../../shared/ledger/entry';
import { verifyChain } from '../../shared/ledger/verify';
import { createCore } from '../../main/core/app-core';
import { createHandlers } from '../../main/core/handlers';
import { MemorySecretStore } from '../../main/secrets/secret-store';
import { nodeChainDigest } from '../../main/sync/digest';
import { readConfig } from '../../server/config';
import { startServer } from '../../server/start';
import { buildRealisticChain } from '../fixtures/chain';
import type { Benchmark, BenchResult } from '../harness';

const N = 100_000;
const LIMIT = 5000;

/**
 * Pull and verify 100,000 entries from a local server through main's sync path (HTTP client,
 * zod validation, key ring, verifyChain on node:crypto, handler table with result validation).
 * The chain is built with ChainWriter and inserted straight into the server's entries table.
 */
async function syncVerify100k(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'easel-bench-sync-'));
  const server = await startServer(
    readConfig({ EASEL_PORT: '0', EASEL_DATA_DIR: join(dir, 'srv'), EASEL_LOG: 'off' }),
  );
  try {
    const email = 'bench@example.com';
    const password = 'correct horse battery';
    const res = await fetch(`${server.url}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const { accountId } = (await res.json()) as { accountId: string };

    const { entries, writer } = buildRealisticChain(N, accountId);
    const db = server.services.db;
    await db.query('delete from entries where account_id = $1', [accountId]);
    const last = entries.length - 1;
    for (let i = 0; i < entries.length; i += 1000) {
      const chunk = entries.slice(i, i + 1000);
      const params: unknown[] = [];
      const rows = chunk.map((e, j) => {
        params.push(accountId, e.seq, e.hash, e.body, e.data.type, e.data.at, e.data.operationId);
        // Only checkpoint anchors read balances_after; the head's is exact, the rest are not used.
        params.push(JSON.stringify(i + j === last ? writer.headBalances() : {}));
        const b = j * 8;
        return `($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7},$${b + 8})`;
      });
      await db.query(
        `insert into entries (account_id, seq, hash, body, type, at, operation_id, balances_after) values ${rows.join(',')}`,
        params,
      );
    }
    const head = writer.current;
    await db.query('update accounts set head_seq = $2, head_hash = $3 where id = $1', [
      accountId,
      head.seq,
      head.hash,
    ]);

    const core = await createCore({
      dataDir: join(dir, 'app'),
      serverUrl: server.url,
      secrets: new MemorySecretStore(),
      ledgerPollMs: 0,
    });
    const handlers = createHandlers(core.impl, () => true);
    const sender = { transport: 'browser' as const, origin: null, authenticated: true };
    await core.impl.signIn({ email, password }, sender);

    // Phase split for the report: the raw HTTP pulls alone (server + transfer + JSON).
    const token =
      (await core.testing.device()) &&
      (
        await fetch(`${server.url}/v1/auth/signin`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        }).then((r) => r.json() as Promise<{ token: string }>)
      ).token;
    const tr = performance.now();
    for (let a = 0; a < N; a += LIMIT) {
      const r = await fetch(`${server.url}/v1/ledger/entries?after=${a}&limit=${LIMIT}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await r.json();
    }
    const rawHttp = performance.now() - tr;

    const t0 = performance.now();
    let after: ChainHead = GENESIS;
    let pulled = 0;
    for (;;) {
      const env = await handlers.pullBatch({ after, limit: LIMIT }, sender);
      if (!env.ok) throw new EaselError(env.error.code, env.error.message);
      const batch = env.value as PullResponse;
      pulled += batch.entries.length;
      after = { seq: batch.checkpoint.checkpoint.seq, hash: batch.checkpoint.checkpoint.head };
      await handlers.batchStored(after, sender);
      if (after.seq >= batch.headSeq) break;
    }
    const endToEnd = performance.now() - t0;
    if (pulled !== N || after.hash !== head.hash) throw new Error(`pulled ${pulled} entries`);

    // Verification alone, over the same batches (checkpoint signature + chain on node:crypto).
    const keys = await core.testing.keys.current();
    const key = server.services.keys.active;
    const batches: Array<{ part: WireEntry[]; signed: SignedCheckpoint }> = [];
    for (let i = 0; i < N; i += LIMIT) {
      const part = entries
        .slice(i, i + LIMIT)
        .map((e) => ({ seq: e.seq, hash: e.hash, body: e.body }));
      const end = part.at(-1)!;
      const checkpoint = {
        accountId,
        seq: end.seq,
        head: end.hash,
        balances: {},
        issuedAt: new Date().toISOString(),
        keyId: key.keyId,
      };
      batches.push({ part, signed: signCheckpoint(checkpoint, key.secretKey) });
    }
    const t1 = performance.now();
    let from: ChainHead = GENESIS;
    for (const { part, signed } of batches) {
      const verdict = verifyChain(part, signed, keys, { from, accountId, digest: nodeChainDigest });
      if (!verdict.ok) throw new Error(verdict.message);
      from = verdict.head;
    }
    const verifyOnly = performance.now() - t1;
    await core.close();
    return {
      value: Math.round(endToEnd),
      unit: 'ms',
      baseline: 2000,
      better: 'lower',
      note: 'target: pull + verify 100k entries from a local PGlite server in under 2 s',
      extra: {
        verifyOnlyMs: Math.round(verifyOnly),
        rawHttpPullMs: Math.round(rawHttp),
        batches: N / LIMIT,
        entriesPerSecond: Math.round((N / endToEnd) * 1000),
      },
    };
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const benchmarks: Benchmark[] = [
  {
    id: 'sync-verify-100k',
    title: 'Pull and verify 100,000 ledger entries from a local server',
    run: syncVerify100k,
  },
];
