import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EaselError } from '../../shared/ipc/contract';
import { createLogger } from '../../shared/log/logger';
import { createCore } from '../../main/core/app-core';
import { createHandlers } from '../../main/core/handlers';
import { MemorySecretStore } from '../../main/secrets/secret-store';
import { readConfig } from '../../server/config';
import { startServer } from '../../server/start';
import { startFaultProxy } from '../../test/support/main-fault-proxy';
import type { StepHook } from '../../main/core/steps';
import type { Benchmark, BenchResult } from '../harness';

// 100,000 credits of allowance (the most one may take) cover 1,010 spends of 99.
const SPENDS = 960;
const REDEEMS = 300;
const WARMUP = 20;
const password = 'correct horse battery';

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

/**
 * The disk alone, for context: p99 of writing 1 KB and fdatasync'ing it, appended (the file
 * grows each time) or into space zero-filled beforehand (what the journal does).
 */
async function bareCommitP99(dir: string, zeroFilled: boolean): Promise<number> {
  const file = await open(join(dir, `bare-${String(zeroFilled)}.log`), 'w+');
  const line = Buffer.from(`${'x'.repeat(1023)}\n`);
  const times: number[] = [];
  try {
    if (zeroFilled) {
      await file.write(Buffer.alloc(SPENDS * line.length), 0, SPENDS * line.length, 0);
      await file.sync();
    }
    for (let i = 0; i < SPENDS; i++) {
      const t = performance.now();
      await file.write(line, 0, line.length, i * line.length);
      await file.datasync();
      times.push(performance.now() - t);
    }
  } finally {
    await file.close();
  }
  return percentile(
    times.sort((x, y) => x - y),
    99,
  );
}

/** One install of the app's main process, behind a proxy the benchmark cuts (offline). */
async function device(dir: string, serverUrl: string, name: string, onStep?: StepHook) {
  const proxy = await startFaultProxy(serverUrl);
  const core = await createCore({
    ...(onStep ? { onStep } : {}),
    dataDir: join(dir, name),
    serverUrl: proxy.url,
    secrets: new MemorySecretStore(),
    ledgerPollMs: 0,
    retry: { baseMs: 60_000, maxMs: 60_000 },
    log: createLogger('off'),
  });
  const handlers = createHandlers(core.impl, () => true);
  const sender = { transport: 'browser' as const, origin: null, authenticated: true };
  const call = async (call: keyof typeof handlers, params: unknown) => {
    const env = await handlers[call](params, sender);
    if (!env.ok) throw new EaselError(env.error.code, env.error.message);
    return env.value;
  };
  return { proxy, core, call };
}

/**
 * One offline voucher spend through main's code, including its durable commit: the bound of
 * the signed reserve entry checked, the voucher signed, and voucher, counter and outbox entry
 * appended to the device state journal and fdatasync'd, on this machine's disk (a temp
 * folder), offline. Also timed, on a second install: the whole offline redemption as the
 * window asks for it (the quote from the cached signed price book, the spend, and the cached
 * catalog's owned mark, itself a durable file replace).
 */
async function offlineSpendDurable(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'easel-bench-device-'));
  const server = await startServer(
    readConfig({ EASEL_PORT: '0', EASEL_DATA_DIR: join(dir, 'srv'), EASEL_LOG: 'off' }),
  );
  // Where a spend's time goes: its journal commit runs between these two steps.
  let signedAt = 0;
  const commitTimes: number[] = [];
  const a = await device(dir, server.url, 'a', (step) => {
    if (step === 'spend:signed') signedAt = performance.now();
    if (step === 'spend:committed') commitTimes.push(performance.now() - signedAt);
  });
  const b = await device(dir, server.url, 'b');
  try {
    const email = 'bench-device@example.com';
    const session = (await a.call('signUp', { email, password })) as { accountId: string };
    await b.call('signIn', { email, password });
    await server.services.ledger.grant(session.accountId, {
      operationId: 'bench-grant',
      amount: 500_000,
      source: 'promo',
      reason: 'benchmark credits',
    });
    const book = (await b.call('getPriceBook', {})) as { book: { version: number } };
    await b.call('listDesigns', {});
    await a.call('takeAllowance', { amount: 100_000, days: 1 });
    await b.call('takeAllowance', { amount: 50_000, days: 1 });
    a.proxy.faults.down = true;
    b.proxy.faults.down = true;

    const spender = await a.core.testing.device();
    const spendTimes: number[] = [];
    for (let i = 0; i < WARMUP + SPENDS; i++) {
      const t = performance.now();
      await spender.allowances.spend('design-confetti', 99);
      if (i >= WARMUP) spendTimes.push(performance.now() - t);
    }
    const state = await spender.allowances.state();
    if (state?.pendingVouchers !== WARMUP + SPENDS) throw new Error('a voucher went missing');

    const redeemTimes: number[] = [];
    for (let i = 0; i < REDEEMS; i++) {
      const t = performance.now();
      const r = (await b.call('redeemDesign', {
        designId: 'design-confetti',
        expectedCredits: 99,
        priceBookVersion: book.book.version,
      })) as { mode: string };
      redeemTimes.push(performance.now() - t);
      if (r.mode !== 'offline') throw new Error('the redemption was not offline');
    }
    spendTimes.sort((x, y) => x - y);
    const commits = commitTimes.slice(WARMUP).sort((x, y) => x - y);
    redeemTimes.sort((x, y) => x - y);
    const appended = await bareCommitP99(dir, false);
    const zeroFilled = await bareCommitP99(dir, true);
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      value: round(percentile(spendTimes, 99)),
      unit: 'ms',
      baseline: 20,
      better: 'lower',
      note: 'target: p99 of one offline voucher spend with its durable commit under 20 ms',
      extra: {
        spendP50Ms: round(percentile(spendTimes, 50)),
        spendMaxMs: round(spendTimes.at(-1) ?? 0),
        spends: spendTimes.length,
        commitP50Ms: round(percentile(commits, 50)),
        commitP99Ms: round(percentile(commits, 99)),
        diskAppendFdatasyncP99Ms: round(appended),
        diskZeroFilledFdatasyncP99Ms: round(zeroFilled),
        redeemP50Ms: round(percentile(redeemTimes, 50)),
        redeemP99Ms: round(percentile(redeemTimes, 99)),
      },
    };
  } finally {
    for (const d of [a, b]) {
      await d.core.close();
      await d.proxy.close();
    }
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const benchmarks: Benchmark[] = [
  {
    id: 'offline-spend-durable',
    title: 'One offline voucher spend, durable commit included (p99)',
    run: offlineSpendDurable,
  },
];
