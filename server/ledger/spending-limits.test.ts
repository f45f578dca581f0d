import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpendingLimitsResponse } from '../../shared/api/limits';
import { generateKeyPair } from '../../shared/crypto/ed25519';
import { DAY, HOUR, MINUTE } from '../clock';
import {
  type TestServer,
  backends,
  headSeq,
  opId,
  signUp,
  testServer,
  twoListeningInstances,
} from '../testing/harness';

type Headers = Record<string, string>;

describe.each(backends)('spending limits on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    // Mid-month, mid-morning: the day and the month both have room to move in.
    t = await testServer(backend, {
      ledger: { dailyCreditsByPlan: {} },
      start: '2026-11-10T09:00:00.000Z',
    });
  });
  afterAll(async () => t.close());

  const post = (url: string, headers: Headers, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const limits = async (headers: Headers) =>
    SpendingLimitsResponse.parse(
      (await t.app.inject({ method: 'GET', url: '/v1/account/spending-limits', headers })).json(),
    );
  const setLimits = (headers: Headers, daily: number | null, monthly: number | null) =>
    post('/v1/account/spending-limits', headers, { daily, monthly });
  const hold = (headers: Headers, amount: number) =>
    post('/v1/ledger/holds', headers, {
      operationId: opId('hold'),
      amount,
      purpose: { kind: 'job', jobId: `job-${opId()}`, tool: 'generate' },
    });
  const funded = async (credits = 1000) => {
    const u = await signUp(t.app);
    await t.services.ledger.grant(u.accountId, {
      operationId: opId('grant'),
      amount: credits,
      source: 'promo',
      reason: 'test',
    });
    return u;
  };

  it('none by default: the view says no limit, what is used and when each period resets', async () => {
    const u = await funded();
    expect((await hold(u.headers, 30)).statusCode).toBe(201);
    const view = await limits(u.headers);
    expect(view.daily).toMatchObject({ limit: null, used: 30 });
    expect(view.daily.resetsAt).toBe('2026-11-11T00:00:00.000Z');
    expect(view.monthly).toMatchObject({ limit: null, used: 30 });
    expect(view.monthly.resetsAt).toBe('2026-12-01T00:00:00.000Z');
  });

  it('the OpenAPI document names the spending-limits routes', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    const path = doc.paths['/v1/account/spending-limits'];
    expect(Object.keys(path ?? {}).sort()).toEqual(['get', 'post']);
    expect(path.post.summary).toMatch(/^Set spending limits/);
  });

  it('refuses bad limits with a clear 400 and keeps the old ones', async () => {
    const u = await funded();
    expect((await setLimits(u.headers, 50, 500)).statusCode).toBe(200);
    for (const [daily, monthly] of [
      [600, 500],
      [0, null],
      [-5, null],
      [1.5, null],
    ] as const) {
      const res = await setLimits(u.headers, daily, monthly);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid-request');
    }
    const missing = await post('/v1/account/spending-limits', u.headers, { daily: 10 });
    expect(missing.statusCode).toBe(400);
    expect((await setLimits(u.headers, 600, 500)).json().error.message).toMatch(
      /daily limit cannot be above the monthly/,
    );
    const view = await limits(u.headers);
    expect(view.daily.limit).toBe(50);
    expect(view.monthly.limit).toBe(500);
  });

  it('a hold past the daily limit is refused (403, naming the reset), changes nothing, and the next day starts over', async () => {
    const u = await funded();
    expect((await setLimits(u.headers, 50, null)).json().daily).toMatchObject({
      limit: 50,
      used: 0,
    });
    expect((await hold(u.headers, 30)).statusCode).toBe(201);
    const seq = await headSeq(t.db, u.accountId);
    const refused = await hold(u.headers, 21);
    expect(refused.statusCode).toBe(403);
    const error = refused.json().error;
    expect(error.code).toBe('spending-limit');
    expect(error.message).toBe(
      'Your daily spending limit is 50 credits: 30 used today, this needs 21. It resets at 2026-11-11 00:00 UTC.',
    );
    expect(error.details).toMatchObject({
      period: 'daily',
      limit: 50,
      used: 30,
      requested: 21,
      resetsAt: '2026-11-11T00:00:00.000Z',
    });
    expect(await headSeq(t.db, u.accountId)).toBe(seq);
    expect((await hold(u.headers, 20)).statusCode).toBe(201);
    expect((await hold(u.headers, 1)).statusCode).toBe(403);

    t.clock.set('2026-11-11T00:00:00.000Z');
    expect((await hold(u.headers, 50)).statusCode).toBe(201);
    expect((await limits(u.headers)).daily.used).toBe(50);
    t.clock.set('2026-11-10T09:00:00.000Z');
  });

  it('what comes back counts no more: a release, the uncaptured rest, an expired hold', async () => {
    const start = '2026-11-12T09:00:00.000Z';
    t.clock.set(start);
    const u = await funded();
    await setLimits(u.headers, 40, null);
    const a = (await hold(u.headers, 40)).json();
    expect((await hold(u.headers, 1)).statusCode).toBe(403);
    await post(`/v1/ledger/holds/${a.holdId}/capture`, u.headers, {
      operationId: opId('cap'),
      amount: 25,
    });
    expect((await limits(u.headers)).daily.used).toBe(25);
    const b = (await hold(u.headers, 15)).json();
    await post(`/v1/ledger/holds/${b.holdId}/release`, u.headers, {
      operationId: opId('rel'),
      reason: 'released',
    });
    expect((await limits(u.headers)).daily.used).toBe(25);
    expect((await hold(u.headers, 15)).statusCode).toBe(201);
    expect((await hold(u.headers, 1)).statusCode).toBe(403);
    // The open hold of 15 expires: the write that records its expiry makes room in the same step.
    t.clock.advance(20 * MINUTE);
    expect((await hold(u.headers, 15)).statusCode).toBe(201);
    t.clock.set('2026-11-10T09:00:00.000Z');
  });

  it('the monthly limit holds across days and resets on the 1st', async () => {
    t.clock.set('2026-11-28T10:00:00.000Z');
    const u = await funded();
    await setLimits(u.headers, 40, 100);
    for (let day = 0; day < 3; day++) {
      expect((await hold(u.headers, 30)).statusCode).toBe(201);
      t.clock.advance(DAY);
    }
    // 2026-12-01 is a new month: 90 of November no longer count.
    expect((await hold(u.headers, 40)).statusCode).toBe(201);
    t.clock.set('2026-11-30T10:00:00.000Z');
    const v = await funded();
    await setLimits(v.headers, null, 100);
    expect((await hold(v.headers, 90)).statusCode).toBe(201);
    const refused = await hold(v.headers, 20);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toBe(
      'Your monthly spending limit is 100 credits: 90 used this month, this needs 20. It resets at 2026-12-01 00:00 UTC.',
    );
    t.clock.advance(HOUR * 14);
    expect((await hold(v.headers, 20)).statusCode).toBe(201);
    t.clock.set('2026-11-10T09:00:00.000Z');
  });

  it('an offline allowance takes at most what the limits leave, and none when nothing is left', async () => {
    t.clock.set('2026-11-13T09:00:00.000Z');
    const u = await funded();
    const device = (
      await post('/v1/devices', u.headers, { name: 'pc', publicKey: generateKeyPair().publicKey })
    ).json();
    await setLimits(u.headers, 120, null);
    expect((await hold(u.headers, 30)).statusCode).toBe(201);
    const allowance = await post('/v1/allowances', u.headers, {
      operationId: opId('al'),
      deviceId: device.deviceId,
      amount: 200,
    });
    expect(allowance.statusCode).toBe(201);
    expect(allowance.json().amount).toBe(90);
    // The whole reserve counts today: nothing is left for a hold, nor for another allowance.
    expect((await hold(u.headers, 1)).statusCode).toBe(403);
    const none = await post('/v1/allowances', u.headers, {
      operationId: opId('al'),
      deviceId: device.deviceId,
      amount: 200,
    });
    expect(none.statusCode).toBe(403);
    expect(none.json().error.code).toBe('spending-limit');
    // Returned unspent, the reserve gives its room back.
    await post(`/v1/allowances/${allowance.json().allowanceId}/return`, u.headers, {
      operationId: opId('ret'),
    });
    expect((await limits(u.headers)).daily.used).toBe(30);
    expect((await hold(u.headers, 90)).statusCode).toBe(201);
    t.clock.set('2026-11-10T09:00:00.000Z');
  });

  it('a design bought with credits counts, and one past the limit is refused', async () => {
    t.clock.set('2026-11-14T09:00:00.000Z');
    const u = await funded(100_000);
    const designs = (await t.app.inject({ method: 'GET', url: '/v1/designs', headers: u.headers }))
      .json<{ designs: Array<{ designId: string; credits: number }> }>()
      .designs.filter((d) => d.credits > 1)
      .sort((a, b) => a.credits - b.credits);
    const version = (await t.app.inject({ method: 'GET', url: '/v1/price-book' })).json().book
      .version;
    const design = designs[0];
    if (!design) throw new Error('the seeded catalog has no design priced in credits');
    await setLimits(u.headers, design.credits - 1, null);
    const redeem = () =>
      post(`/v1/designs/${design.designId}/redeem`, u.headers, {
        operationId: opId('redeem'),
        expectedCredits: design.credits,
        priceBookVersion: version,
      });
    const refused = await redeem();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('spending-limit');
    await setLimits(u.headers, design.credits, null);
    expect((await redeem()).statusCode).toBe(201);
    expect((await limits(u.headers)).daily.used).toBe(design.credits);
    t.clock.set('2026-11-10T09:00:00.000Z');
  });
});

// docs/architecture.md §2: the limit is checked inside the ledger write, under the account's
// row lock; with holds alternating between two instances on one PostgreSQL, only that lock
// keeps them from both passing the check.
describe('spending limits with two instances over one PostgreSQL', () => {
  let t: TestServer;
  let bases: string[] = [];
  beforeAll(async () => {
    ({ t, bases } = await twoListeningInstances());
  });
  afterAll(async () => t.close());

  it('60 holds of 6 at once against a daily limit of 100: exactly 16 pass, 96 used', async () => {
    const u = await signUp(t.app);
    await t.services.ledger.grant(u.accountId, {
      operationId: opId('grant'),
      amount: 1000,
      source: 'promo',
      reason: 'test',
    });
    await t.app.inject({
      method: 'POST',
      url: '/v1/account/spending-limits',
      headers: u.headers,
      payload: { daily: 100, monthly: null },
    });
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const res = await fetch(`${bases[i % 2]}/v1/ledger/holds`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...u.headers },
          body: JSON.stringify({
            operationId: opId('hold'),
            amount: 6,
            purpose: { kind: 'job', jobId: `job-${i}`, tool: 'generate' },
          }),
        });
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(16);
    expect(statuses.filter((s) => s === 403)).toHaveLength(44);
    for (const base of bases) {
      const view = SpendingLimitsResponse.parse(
        await (await fetch(`${base}/v1/account/spending-limits`, { headers: u.headers })).json(),
      );
      expect(view.daily.used).toBe(96);
    }
  });
});
