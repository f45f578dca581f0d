import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/log/logger';
import type { Step } from '../main/core/steps';
import { VoucherRecord } from '../main/offline/device-records';
import { JournalStore } from '../main/storage/journal-store';
import { startFaultProxy } from './support/main-fault-proxy';
import { startPgliteServer, tempDir } from './support/main-harness';

type Server = Awaited<ReturnType<typeof startPgliteServer>>;
type Proxy = Awaited<ReturnType<typeof startFaultProxy>>;
type Phase = 'setup' | 'spend' | 'sync';

interface Run {
  lines: string[];
  killedAt: string | null;
  code: number | null;
}

/** Runs main's code for one phase in a child process; kills it (SIGKILL) at `crashAt`. */
function runChild(phase: Phase, env: Record<string, string>, crashAt: Step | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/device-child.ts'], {
      env: {
        ...process.env,
        ...env,
        EASEL_CHILD_PHASE: phase,
        EASEL_LOG: 'off',
        ...(crashAt ? { EASEL_CRASH_AT: crashAt } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let killedAt: string | null = null;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.startsWith('STEP ')) {
        killedAt = line.slice(5);
        child.kill('SIGKILL');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (killedAt === null && code !== 0)
        reject(new Error(`child ${phase} failed (${code ?? signal}): ${stderr}`));
      else resolve({ lines, killedAt, code });
    });
  });
}

const STEPS: Step[] = [
  'spend:signed',
  'spend:committed',
  'spend:owned',
  'send:before',
  'send:answered',
  'send:recorded',
  'store:compacting',
];

describe('crash points: main is killed at every step of spend, queue, send and settle', () => {
  let server: Server;
  let proxy: Proxy;
  beforeAll(async () => {
    server = await startPgliteServer();
    proxy = await startFaultProxy(server.url);
  });
  afterAll(async () => {
    await proxy.close();
    await server.stop();
  });

  it.each(STEPS)(
    'killed at %s: no counter reused, no signed voucher lost, each settled exactly once',
    async (crashAt) => {
      const dataDir = await tempDir('easel-crash-dev-');
      const email = `crash-${randomBytes(4).toString('hex')}@example.com`;
      const env = {
        EASEL_CHILD_DATA: dataDir,
        EASEL_CHILD_SERVER: proxy.url,
        EASEL_CHILD_EMAIL: email,
      };
      let armed: Step | null = crashAt;
      const kills: string[] = [];
      /** Runs a phase armed with the crash point until it fires once, then again unarmed. */
      const phase = async (name: Phase, extra: Record<string, string> = {}) => {
        const run = await runChild(name, { ...env, ...extra }, armed);
        if (run.killedAt === null) return run;
        kills.push(`${name}@${run.killedAt}`);
        armed = null;
        return run;
      };

      const signup = await fetch(`${server.url}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'correct horse battery' }),
      });
      const account = (await signup.json()) as { accountId: string };
      await server.services.ledger.grant(account.accountId, {
        operationId: 'grant-crash',
        amount: 400,
        source: 'promo',
        reason: 'test credits',
      });

      proxy.faults.down = false;
      let setup = await phase('setup');
      if (setup.killedAt) setup = await phase('setup');
      const ready = setup.lines.find((l) => l.startsWith('READY '))?.split(' ');
      expect(ready?.[3], 'the reserve entry was verified while online').toBe('true');
      const accountId = ready?.[1] ?? '';
      const before = (await server.services.ledger.wallet(accountId)).balances.image;

      // Offline: two redemptions of 99 from the 200 allowance, then one more after a crash.
      proxy.faults.down = true;
      const acknowledged: number[] = [];
      const spend = async (n: number) => {
        const run = await phase('spend', { EASEL_CHILD_SPENDS: String(n) });
        for (const l of run.lines) {
          const m = /^SPENT offline (\d+)$/.exec(l);
          if (m) acknowledged.push(Number(m[1]));
        }
        return run;
      };
      await spend(2);
      if (acknowledged.length < 2) await spend(2 - acknowledged.length);

      // Online: send and settle, killed at its step; then once more to the end.
      proxy.faults.down = false;
      let sync = await phase('sync');
      if (sync.killedAt) sync = await phase('sync');
      expect(sync.lines.some((l) => l.startsWith('ALLOWANCE '))).toBe(true);
      if (crashAt !== 'store:compacting') expect(kills).toEqual([expect.stringContaining(crashAt)]);
      else expect(kills.length).toBe(1);

      // What the device kept: every voucher it signed and committed, each settled.
      const store = await JournalStore.open(join(dataDir, 'device-state'), {
        log: createLogger('off'),
      });
      const vouchers = store
        .keys('voucher/')
        .map((k) => VoucherRecord.parse(store.get(k)))
        .map((v) => ({ counter: v.signed.voucher.counter, status: v.status }));
      await store.close();
      expect(
        vouchers.every((v) => v.status === 'settled'),
        JSON.stringify(vouchers),
      ).toBe(true);

      // What the server settled: each (allowance, counter) once, every local voucher, and
      // every redemption the app acknowledged.
      const { rows } = await server.services.db.query<{ body: string }>(
        "select body from entries where account_id = $1 and type in ('settle', 'rejection') order by seq",
        [accountId],
      );
      const bodies = rows.map(
        (r) =>
          JSON.parse(r.body) as {
            type: string;
            allowanceId?: string;
            vouchers?: Array<{ counter: number }>;
          },
      );
      expect(bodies.filter((b) => b.type === 'rejection')).toEqual([]);
      const settled = bodies.flatMap((b) =>
        (b.vouchers ?? []).map((v) => `${b.allowanceId ?? ''}#${v.counter}`),
      );
      expect(new Set(settled).size).toBe(settled.length);
      const counters = settled.map((s) => Number(s.split('#')[1])).sort((a, b) => a - b);
      expect(counters).toEqual(vouchers.map((v) => v.counter).sort((a, b) => a - b));
      for (const c of acknowledged) expect(counters).toContain(c);
      expect(counters.length).toBeGreaterThanOrEqual(2);
      const after = (await server.services.ledger.wallet(accountId)).balances.image;
      expect((before?.balance ?? 0) - (after?.balance ?? 0)).toBe(99 * counters.length);
      await rm(dataDir, { recursive: true, force: true });
    },
  );
});
