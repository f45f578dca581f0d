import { describe, expect, it } from 'vitest';
import type { BucketView } from '../../../shared/wallet/types';
import type { JobView } from '../../../shared/ipc/types';
import { decideAlerts, emptyMemory, lowThreshold, usualRun } from './alerts-logic';

const now = '2026-12-02T10:00:00.000Z';
const bucket = (
  id: string,
  expiresAt: string,
  remaining = 40,
  source: BucketView['source'] = 'pack',
): BucketView => ({
  bucketId: id,
  kind: 'image',
  source,
  amount: remaining,
  costBasisCents: 0,
  effectiveAt: '2026-11-01T00:00:00.000Z',
  expiresAt,
  priority: 100,
  createdSeq: 1,
  remaining,
  held: 0,
  free: remaining,
  live: true,
});
const job = (tool: JobView['tool'], credits: number, createdAt: string): JobView => ({
  jobId: `j-${createdAt}`,
  operationId: `op-${createdAt}`,
  tool,
  state: 'succeeded',
  progress: 1,
  stage: null,
  etaSeconds: null,
  heldCredits: credits,
  capturedCredits: credits,
  error: null,
  outputs: [],
  createdAt,
  params: {},
});
const run = (available: number, memory = emptyMemory, buckets: BucketView[] = []) =>
  decideAlerts({
    available,
    threshold: 30,
    buckets,
    now,
    expiryDays: 3,
    latestTopup: null,
    memory,
  });

describe('alerts (docs/architecture.md §7)', () => {
  it('low balance fires once per crossing, not on every evaluation, and re-arms above', () => {
    const a = run(20);
    expect(a.notices.map((n) => n.kind)).toEqual(['low-balance']);
    const b = run(10, a.memory);
    expect(b.notices).toEqual([]);
    const c = run(35, b.memory);
    expect(c.notices).toEqual([]);
    expect(c.memory.low).toBe(false);
    expect(run(29, c.memory).notices.map((n) => n.kind)).toEqual(['low-balance']);
  });

  it('expiring credits within 3 days fire once per bucket; daily credits and later expiries never', () => {
    const soon = bucket('b1', '2026-12-04T09:00:00.000Z');
    const later = bucket('b2', '2026-12-08T09:00:00.000Z');
    const daily = bucket('d', '2026-12-03T00:00:00.000Z', 20, 'daily');
    const a = run(100, emptyMemory, [soon, later, daily]);
    expect(a.notices).toEqual([
      expect.objectContaining({
        kind: 'expiring',
        body: expect.stringMatching(/^40 credits expire on Dec 4, 2026/) as string,
      }),
    ]);
    expect(run(100, a.memory, [soon, later, daily]).notices).toEqual([]);
  });

  it('the default threshold is two runs of the usual tool', () => {
    const jobs = [
      job('upscale', 8, '2026-12-01T01:00:00.000Z'),
      job('generate', 4, '2026-12-01T02:00:00.000Z'),
      job('upscale', 10, '2026-12-01T03:00:00.000Z'),
      job('upscale', 12, '2026-12-01T04:00:00.000Z'),
    ];
    expect(usualRun(jobs)).toEqual({ tool: 'upscale', credits: 10 });
    expect(lowThreshold(null, usualRun(jobs))).toBe(20);
    expect(lowThreshold(5, usualRun(jobs))).toBe(5);
    expect(lowThreshold(null, null)).toBe(20);
  });
});
