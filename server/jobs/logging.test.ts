import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LEVEL, createLogger, recordingLogger } from '../../shared/log/logger';
import { createPurchases } from '../purchases';
import { createServices } from '../services';
import { testServer } from '../testing/harness';
import { JobHousekeeping } from './housekeeping';
import { createJobs } from './index';

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('one logger for the server, its jobs and purchases', () => {
  it('logs a failed job sweep and heartbeat instead of dropping them, and keeps trying', async () => {
    const recorded = recordingLogger();
    const t = await testServer('pglite', { log: recorded.log });
    const dataDir = await mkdtemp(join(tmpdir(), 'easel-jobs-log-'));
    const jobs = createJobs(t.services, { dataDir, sweepIntervalMs: 30, heartbeatMs: 30 });
    const failing = vi
      .spyOn(t.services.db, 'query')
      .mockRejectedValue(new Error('the database went away'));
    const failed = (what: string) =>
      recorded.lines.filter(
        (l) =>
          l.level === LEVEL.error &&
          l.component === 'jobs' &&
          l.msg === `${what} failed` &&
          (l.err as { message?: string } | undefined)?.message === 'the database went away',
      ).length;
    // The heartbeat queries only while jobs run here; fail it where it starts instead.
    const beat = vi
      .spyOn(JobHousekeeping.prototype, 'heartbeat')
      .mockRejectedValue(new Error('the database went away'));
    await until(() => failed('job sweep') >= 2 && failed('job heartbeat') >= 2);
    failing.mockRestore();
    beat.mockRestore();
    await jobs.close();
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('honours EASEL_LOG=off everywhere: the server, jobs and purchases log nothing', async () => {
    const lines: string[] = [];
    const off = createLogger('off', { destination: { write: (s: string) => void lines.push(s) } });
    const t = await testServer('pglite', { log: off });
    const purchases = createPurchases(t.services, {
      publicUrl: 'https://shop.example', // not loopback: the sandbox warning would be logged
      stripe: null,
      sandbox: true,
    });
    expect(purchases.log.isLevelEnabled('warn')).toBe(false);
    off.child({ component: 'jobs' }).error('not written');
    expect(lines).toEqual([]);
    await t.close();
    // The default follows the environment (tests run with EASEL_LOG=off).
    expect(process.env.EASEL_LOG).toBe('off');
    const services = createServices({ db: t.db, clock: t.clock, keys: t.services.keys });
    expect(services.log.isLevelEnabled('error')).toBe(false);
  });

  it('writes purchases’ warnings as the same JSON lines, with their component', async () => {
    const recorded = recordingLogger();
    const t = await testServer('pglite', { log: recorded.log });
    // The sandbox asked for on a public address (EASEL_SANDBOX_PAYMENTS=on) is warned about.
    createPurchases(t.services, { publicUrl: 'https://shop.example', stripe: null, sandbox: true });
    expect(recorded.lines).toContainEqual(
      expect.objectContaining({
        level: LEVEL.warn,
        component: 'purchases',
        publicUrl: 'https://shop.example',
        msg: expect.stringContaining('sandbox payment provider'),
      }),
    );
    await t.close();
  });
});
