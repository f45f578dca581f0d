import { type ChildProcess, spawn } from 'node:child_process';
import { expect } from 'vitest';
import { PullResponse } from '../../shared/api/ledger';
import { parseEntry } from '../../shared/ledger/chain';
import { PublicKeyInfo } from '../../shared/ledger/checkpoint';
import type { EntryBody, WireEntry } from '../../shared/ledger/entry';
import { verifyChain } from '../../shared/ledger/verify';

export interface ServerProcess {
  child: ChildProcess;
  /** Still running (neither exited nor killed). */
  alive(): boolean;
  /** How it ended and the tail of its stderr, for a failure message. */
  why(): string;
}

/**
 * `server/main.ts` in a child process on `port` with `env` added to the caller's environment
 * (logs off), resolved once `/healthz` answers; rejects with its stderr if it exits first. Used
 * by the suites that kill the server or its database (crash, db-restart).
 */
export async function startServerProcess(
  port: number,
  env: Record<string, string>,
): Promise<ServerProcess> {
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, ...env, EASEL_PORT: String(port), EASEL_LOG: 'off' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const why = (): string => `server exited (${child.exitCode ?? child.signalCode}): ${stderr}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { child, alive, why };
    if (i > 240 || !alive()) {
      child.kill('SIGKILL');
      throw new Error(`server did not come up: ${why()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * An account's whole chain pulled from a running server, each batch verified against the
 * published keys from where the last one ended; the entries and their parsed bodies.
 */
export async function pullVerifiedChain(
  base: string,
  account: { accountId: string; token: string },
): Promise<{ entries: WireEntry[]; bodies: EntryBody[] }> {
  const keys = (await (await fetch(`${base}/v1/keys`)).json()) as { keys: unknown[] };
  const published = keys.keys.map((k) => PublicKeyInfo.parse(k));
  const entries: WireEntry[] = [];
  let after = 0;
  for (;;) {
    const res = await fetch(`${base}/v1/ledger/entries?after=${after}&limit=1000`, {
      headers: { authorization: `Bearer ${account.token}` },
      signal: AbortSignal.timeout(10_000),
    });
    const batch = PullResponse.parse(await res.json());
    const verdict = verifyChain(batch.entries, batch.checkpoint, published, {
      accountId: account.accountId,
      from: after === 0 ? undefined : { seq: after, hash: entries.at(-1)?.hash ?? '' },
    });
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    entries.push(...batch.entries);
    after = batch.checkpoint.checkpoint.seq;
    if (after >= batch.headSeq) break;
  }
  return { entries, bodies: entries.map((e) => parseEntry(e).data) };
}
