import { describe, expect, it } from 'vitest';
import type { BucketView } from '../../../shared/wallet/types';
import { explainBalance, expiringWithin, nextUtcMidnight } from './wallet-words';

const NOW = Date.parse('2026-12-01T19:48:00.000Z');
const DAY = 86_400_000;
const bucket = (over: Partial<BucketView>): BucketView => ({
  bucketId: 'b',
  kind: 'image',
  source: 'pack',
  amount: 100,
  costBasisCents: 0,
  effectiveAt: '2026-12-01T00:00:00.000Z',
  expiresAt: null,
  priority: 100,
  createdSeq: 1,
  remaining: 100,
  held: 0,
  free: 100,
  live: true,
  ...over,
});

describe('the wallet in plain words', () => {
  it('explains daily, welcome and pack credits, without raw source names', () => {
    const lines = explainBalance(
      [
        bucket({ source: 'daily', remaining: 20, expiresAt: '2026-12-02T00:00:00.000Z' }),
        bucket({ source: 'signup', remaining: 50, expiresAt: '2026-12-31T12:00:00.000Z' }),
        bucket({ source: 'pack', remaining: 1000, expiresAt: null }),
        bucket({ source: 'promo', remaining: 0, expiresAt: null }),
      ],
      NOW,
    );
    expect(lines).toEqual([
      '20 daily credits — they reset at 00:00 UTC (in 4 h 12 min), unused ones do not carry over.',
      '50 welcome credits expire on Dec 31, 2026.',
      '1,000 pack credits never expire.',
    ]);
    expect(lines.join(' ')).not.toMatch(/signup|daily\//);
    expect(nextUtcMidnight(NOW)).toBe(Date.parse('2026-12-02T00:00:00.000Z'));
  });

  it('counts a bucket expiring exactly at the end of the window as expiring soon', () => {
    const edge = bucket({ expiresAt: new Date(NOW + 30 * DAY).toISOString() });
    const later = bucket({ bucketId: 'c', expiresAt: new Date(NOW + 30 * DAY + 1).toISOString() });
    expect(expiringWithin([edge, later], NOW, 30 * DAY).map((b) => b.bucketId)).toEqual(['b']);
  });
});
