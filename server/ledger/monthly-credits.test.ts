import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../clock';
import { type TestServer, backends, signUp, testServer } from '../testing/harness';
import { startOfNextUtcMonth } from './monthly-credits';

/** A price list's Free plan: 50 credits a month, valid 30 days, no daily credits. */
const ledger = {
  dailyCreditsByPlan: { free: 0 },
  monthlyCreditsByPlan: { free: { credits: 50, expiresAfterDays: 30 } },
};

const monthlyBuckets = async (t: TestServer, accountId: string) =>
  (await t.services.ledger.wallet(accountId)).buckets
    .filter((b) => b.source === 'monthly')
    .map((b) => ({ id: b.bucketId, remaining: b.remaining, expiresAt: b.expiresAt, live: b.live }));

describe.each(backends)('free monthly credits on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, { ledger, start: '2026-11-20T08:00:00.000Z' });
  });
  afterAll(async () => t.close());

  it('grants once per UTC month on the first use, each grant lasting 30 days', async () => {
    const u = await signUp(t.app); // sign-up is the first use: the grant is made at 08:00
    t.clock.set('2026-11-20T09:00:00.000Z');
    await t.services.ledger.touch(u.accountId);
    await t.services.ledger.touch(u.accountId);
    await t.services.ledger.grant(u.accountId, {
      operationId: 'promo-1',
      amount: 5,
      source: 'promo',
      reason: 'test',
    });
    expect(await monthlyBuckets(t, u.accountId)).toEqual([
      { id: 'monthly-2026-11', remaining: 50, expiresAt: '2026-12-20T08:00:00.000Z', live: true },
    ]);
    // Days later in the same month: nothing more.
    t.clock.advance(9 * DAY);
    await t.services.ledger.touch(u.accountId);
    expect(await monthlyBuckets(t, u.accountId)).toHaveLength(1);

    // December: a new grant; November's stays until its own expiry.
    t.clock.set('2026-12-01T00:00:01.000Z');
    await t.services.ledger.touch(u.accountId);
    const dec = await monthlyBuckets(t, u.accountId);
    expect(dec.map((b) => b.id)).toEqual(['monthly-2026-11', 'monthly-2026-12']);
    expect((await t.services.ledger.wallet(u.accountId)).balances.image?.balance).toBe(105);
    t.clock.set('2026-12-21T00:00:00.000Z');
    expect((await t.services.ledger.wallet(u.accountId)).balances.image?.balance).toBe(55);
    expect(startOfNextUtcMonth(t.clock.now())).toBe('2027-01-01T00:00:00.000Z');
    // The sign-up offer says so (GET /v1/auth/offer).
    const offer = await t.app.inject({ method: 'GET', url: '/v1/auth/offer' });
    expect(offer.json()).toMatchObject({
      dailyCredits: 0,
      monthly: { credits: 50, expiresInDays: 30 },
    });
  });

  it('grants nothing monthly to a plan the catalog gives none', async () => {
    const u = await signUp(t.app);
    await t.db.query(`update accounts set plan = 'pro' where id = $1`, [u.accountId]);
    t.clock.advance(40 * DAY);
    await t.services.ledger.touch(u.accountId);
    expect(await monthlyBuckets(t, u.accountId)).toEqual([]);
  });
});

describe('free monthly credits with two instances racing (PostgreSQL)', () => {
  it('grants the month once however many writes race on both instances', async () => {
    const t = await testServer('postgres', { ledger, start: '2026-11-30T23:59:00.000Z' });
    try {
      const other = await t.anotherInstance();
      const u = await signUp(t.app);
      await t.services.ledger.touch(u.accountId);
      t.clock.set('2026-12-01T00:00:00.000Z');
      // Each instance has its own in-process lock: only the account's row lock orders them.
      const writes = Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? t.services : other.services).ledger.grant(u.accountId, {
          operationId: `race-${i}`,
          amount: 1,
          source: 'promo',
          reason: 'race',
        }),
      );
      const results = await Promise.allSettled(writes);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const { rows } = await t.db.query<{ n: number }>(
        `select count(*)::int as n from entries where account_id = $1 and operation_id = 'monthly:2026-12'`,
        [u.accountId],
      );
      expect(rows[0]?.n).toBe(1);
      expect((await t.services.ledger.wallet(u.accountId)).balances.image?.balance).toBe(112);
    } finally {
      await t.close();
    }
  });
});
