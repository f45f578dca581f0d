import { describe, expect, it } from 'vitest';
import { ChainWriter } from '../../../shared/ledger/writer';
import { at, bucket, grant } from '../../../shared/testing/ledger-fixture';
import { date } from '../util/format';
import { upcomingCredits } from './upcoming-credits';

describe('upcomingCredits', () => {
  it('names credits that start later, soonest first, and forgets them once they start', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(5, { source: 'signup' })), at(1));
    w.append(grant(bucket(250, { source: 'adjustment', effectiveAt: at(900) })), at(2));
    w.append(grant(bucket(1000, { source: 'promo', effectiveAt: at(300) })), at(3));
    w.append(grant(bucket(7, { source: 'promo', expiresAt: at(4) })), at(3));
    const now = Date.parse(at(10));
    expect(upcomingCredits(w.view(at(10)).buckets, now)).toEqual([
      `1,000 promotional credits become usable on ${date(at(300))}.`,
      `250 adjusted credits become usable on ${date(at(900))}.`,
    ]);
    expect(upcomingCredits(w.view(at(900)).buckets, Date.parse(at(900)))).toEqual([]);
  });
});
