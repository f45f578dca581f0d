import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type TestServer,
  backends,
  entryCount,
  opId,
  signUp,
  testServer,
} from '../testing/harness';

const job = { kind: 'job', jobId: 'j', tool: 'generate' };

describe.each(backends)('bad input on %s', (backend) => {
  let t: TestServer;
  let user: Awaited<ReturnType<typeof signUp>>;
  let other: Awaited<ReturnType<typeof signUp>>;
  let holdId = '';
  beforeAll(async () => {
    t = await testServer(backend, { app: { bodyLimit: 64 * 1024 } });
    user = await signUp(t.app);
    other = await signUp(t.app);
    await t.services.ledger.grant(user.accountId, {
      operationId: opId(),
      amount: 100,
      source: 'promo',
      reason: 'test',
    });
    holdId = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/ledger/holds',
        headers: user.headers,
        payload: { operationId: opId(), amount: 6, purpose: job },
      })
    ).json().holdId;
  });
  afterAll(async () => t.close());

  const hold = (amount: unknown, extra: Record<string, unknown> = {}) => ({
    operationId: opId(),
    amount,
    purpose: job,
    ...extra,
  });
  const cases: Array<
    [
      string,
      () => {
        method: 'POST' | 'GET';
        url: string;
        headers?: Record<string, string>;
        payload?: unknown;
        body?: string;
      },
      number,
    ]
  > = [
    [
      'a negative amount',
      () => ({ method: 'POST', url: '/v1/ledger/holds', payload: hold(-6) }),
      400,
    ],
    ['a zero amount', () => ({ method: 'POST', url: '/v1/ledger/holds', payload: hold(0) }), 400],
    [
      'a fractional amount',
      () => ({ method: 'POST', url: '/v1/ledger/holds', payload: hold(1.5) }),
      400,
    ],
    [
      'a huge amount',
      () => ({ method: 'POST', url: '/v1/ledger/holds', payload: hold(1e18) }),
      400,
    ],
    [
      'an amount above the balance',
      () => ({ method: 'POST', url: '/v1/ledger/holds', payload: hold(1_000_000) }),
      402,
    ],
    [
      'a non-numeric amount',
      () => ({ method: 'POST', url: '/v1/ledger/holds', payload: hold('6') }),
      400,
    ],
    [
      'NaN smuggled as a string',
      () => ({ method: 'POST', url: '/v1/ledger/holds', payload: hold('NaN') }),
      400,
    ],
    [
      'an unknown field',
      () => ({ method: 'POST', url: '/v1/ledger/holds', payload: hold(6, { discount: 100 }) }),
      400,
    ],
    [
      'a wrong type for purpose',
      () => ({
        method: 'POST',
        url: '/v1/ledger/holds',
        payload: { operationId: opId(), amount: 6, purpose: 'job' },
      }),
      400,
    ],
    [
      'a missing operation id',
      () => ({ method: 'POST', url: '/v1/ledger/holds', payload: { amount: 6, purpose: job } }),
      400,
    ],
    [
      'an operation id with odd characters',
      () => ({
        method: 'POST',
        url: '/v1/ledger/holds',
        payload: hold(6, { operationId: 'drop table; --' }),
      }),
      400,
    ],
    [
      'broken JSON',
      () => ({
        method: 'POST',
        url: '/v1/ledger/holds',
        body: '{"amount": 6,',
        headers: { 'content-type': 'application/json' },
      }),
      400,
    ],
    [
      'an oversized body',
      () => ({
        method: 'POST',
        url: '/v1/ledger/holds',
        payload: hold(6, { pad: 'x'.repeat(100_000) }),
      }),
      413,
    ],
    [
      'a capture above the hold',
      () => ({
        method: 'POST',
        url: `/v1/ledger/holds/${holdId}/capture`,
        payload: { operationId: opId(), amount: 7 },
      }),
      400,
    ],
    [
      'a negative capture',
      () => ({
        method: 'POST',
        url: `/v1/ledger/holds/${holdId}/capture`,
        payload: { operationId: opId(), amount: -1 },
      }),
      400,
    ],
    [
      'an unknown hold',
      () => ({
        method: 'POST',
        url: '/v1/ledger/holds/hold_nope/capture',
        payload: { operationId: opId(), amount: 1 },
      }),
      404,
    ],
    [
      'a cursor that is not a number',
      () => ({ method: 'GET', url: '/v1/ledger/entries?after=abc' }),
      400,
    ],
    ['a negative cursor', () => ({ method: 'GET', url: '/v1/ledger/entries?after=-1' }), 400],
    [
      'a cursor beyond the ledger',
      () => ({ method: 'GET', url: '/v1/ledger/entries?after=999999' }),
      409,
    ],
    [
      'a batch limit too large',
      () => ({ method: 'GET', url: '/v1/ledger/entries?limit=100000' }),
      400,
    ],
    [
      'a device key that is not hex',
      () => ({ method: 'POST', url: '/v1/devices', payload: { name: 'pc', publicKey: 'zz' } }),
      400,
    ],
    [
      'an allowance for an unknown device',
      () => ({
        method: 'POST',
        url: '/v1/allowances',
        payload: { operationId: opId(), deviceId: 'dev_nope', amount: 10 },
      }),
      404,
    ],
    [
      'a voucher with a bad signature shape',
      () => ({
        method: 'POST',
        url: '/v1/allowances/al_x/settle',
        payload: { operationId: opId(), vouchers: [{ voucher: {}, signature: 'x' }] },
      }),
      400,
    ],
    [
      'a redeem of an unknown design',
      () => ({
        method: 'POST',
        url: '/v1/designs/nope/redeem',
        payload: { operationId: opId(), expectedCredits: 1, priceBookVersion: 1 },
      }),
      404,
    ],
    [
      'a redeem with a negative expected amount',
      () => ({
        method: 'POST',
        url: '/v1/designs/design-tidal/redeem',
        payload: { operationId: opId(), expectedCredits: -5, priceBookVersion: 1 },
      }),
      400,
    ],
    [
      'a mutation push for an unknown device',
      () => ({
        method: 'POST',
        url: '/v1/sync/mutations',
        payload: {
          deviceId: 'dev_nope',
          mutations: [
            { mutationSeq: 1, operationId: opId(), op: { type: 'dislike', itemId: 'x' } },
          ],
        },
      }),
      404,
    ],
    ['an unknown route', () => ({ method: 'GET', url: '/v1/nope' }), 404],
  ];

  it.each(cases)(
    '%s → 4xx with a clear message, and no entry written',
    async (_name, make, status) => {
      const before = await entryCount(t.db);
      const req = make();
      const res = await t.app.inject({
        method: req.method,
        url: req.url,
        headers: { ...user.headers, ...req.headers },
        ...(req.body !== undefined
          ? { body: req.body }
          : req.payload !== undefined
            ? { payload: req.payload as object }
            : {}),
      });
      expect(res.statusCode).toBe(status);
      const error = res.json().error;
      expect(typeof error.code).toBe('string');
      expect(error.message.length).toBeGreaterThan(5);
      expect(await entryCount(t.db)).toBe(before);
    },
  );

  it('refuses a missing, malformed, revoked, expired or foreign token', async () => {
    const before = await entryCount(t.db);
    const body = hold(6);
    for (const authorization of [
      undefined,
      'Bearer',
      'Basic abc',
      'Bearer not-a-real-token-at-all-xxxxxxxx',
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/ledger/holds',
        headers: authorization ? { authorization } : {},
        payload: body,
      });
      expect(res.statusCode).toBe(401);
    }
    // Another account's token cannot touch this account's hold.
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/v1/ledger/holds/${holdId}/release`,
          headers: other.headers,
          payload: { operationId: opId() },
        })
      ).statusCode,
    ).toBe(404);
    const extra = await signUp(t.app);
    await t.app.inject({ method: 'POST', url: '/v1/auth/signout', headers: extra.headers });
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/ledger/balance', headers: extra.headers }))
        .statusCode,
    ).toBe(401);
    const late = await signUp(t.app);
    t.clock.advance(31 * 24 * 3600_000);
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/ledger/balance', headers: late.headers }))
        .statusCode,
    ).toBe(401);
    expect(await entryCount(t.db)).toBeLessThanOrEqual(before + 4); // only sign-up and daily grants of the new accounts
  });

  it('rate-limits sign-in per email after repeated failures', async () => {
    const u = await signUp(t.app);
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      codes.push(
        (
          await t.app.inject({
            method: 'POST',
            url: '/v1/auth/signin',
            payload: { email: u.email, password: 'wrong password!' },
          })
        ).statusCode,
      );
    }
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(codes.slice(5)).toEqual([429, 429]);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/auth/signup',
          payload: { email: u.email, password: 'correct horse battery' },
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/auth/signup',
          payload: { email: 'not-an-email', password: 'correct horse battery' },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/auth/signup',
          payload: { email: 'short@pw.io', password: 'short' },
        })
      ).statusCode,
    ).toBe(400);
  });
});
