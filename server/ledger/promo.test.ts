import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullResponse } from '../../shared/api/ledger';
import { parseEntry } from '../../shared/ledger/chain';
import { verifyChain } from '../../shared/ledger/verify';
import { testServerKeys } from '../../shared/testing/ledger-fixture';
import { commands } from '../admin/commands';
import { DAY } from '../clock';
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

describe.each(backends)('promo codes on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, {
      ledger: { dailyCreditsByPlan: {} },
      start: '2026-11-10T09:00:00.000Z',
    });
  });
  afterAll(async () => t.close());

  const admin = (...args: string[]) => commands['create-promo']!.run(t.services, args);
  const redeem = (headers: Headers, code: string, operationId = opId('promo')) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/promo-codes/redeem',
      headers,
      payload: { operationId, code },
    });
  const balance = async (headers: Headers) =>
    (await t.app.inject({ method: 'GET', url: '/v1/ledger/balance', headers })).json().balances
      .image?.balance ?? 0;

  it('an operator makes a code; a user redeems it once for a signed promo grant that verifies', async () => {
    expect(
      await admin(
        '--code',
        'autumn-25',
        '--credits',
        '25',
        '--max-redemptions',
        '100',
        '--valid-days',
        '30',
        '--operator',
        'ops@easel',
      ),
    ).toBe(
      'created promo code AUTUMN-25: 25 image credits, at most 100 redemptions, once per account, credits valid 30 days (by ops@easel)',
    );
    const u = await signUp(t.app);
    const op = opId('promo');
    const res = await redeem(u.headers, ' Autumn-25 ', op);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      code: 'AUTUMN-25',
      credits: 25,
      kind: 'image',
      expiresAt: new Date(Date.parse(t.clock.now()) + 30 * DAY).toISOString(),
    });
    expect(await balance(u.headers)).toBe(25);
    // A replay answers the first result and grants nothing more.
    const replay = await redeem(u.headers, 'AUTUMN-25', op);
    expect(replay.json()).toEqual(res.json());
    const again = await redeem(u.headers, 'AUTUMN-25');
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'promo-already-redeemed',
      message: 'You have already redeemed promo code AUTUMN-25.',
    });
    expect(await balance(u.headers)).toBe(25);

    const pull = PullResponse.parse(
      (
        await t.app.inject({
          method: 'GET',
          url: '/v1/ledger/entries?after=0&limit=100',
          headers: u.headers,
        })
      ).json(),
    );
    expect(
      verifyChain(pull.entries, pull.checkpoint, testServerKeys, { accountId: u.accountId }).ok,
    ).toBe(true);
    const grant = pull.entries.map((e) => parseEntry(e).data).find((e) => e.type === 'grant');
    expect(grant).toMatchObject({
      type: 'grant',
      reason: 'promo code AUTUMN-25',
      bucket: { source: 'promo', amount: 25, costBasisCents: 0 },
    });
  });

  it('refuses unknown, malformed, expired and exhausted codes clearly, changing nothing', async () => {
    await admin(
      '--code',
      'ONCE-ONLY',
      '--credits',
      '5',
      '--max-redemptions',
      '1',
      '--operator',
      'ops',
    );
    await admin(
      '--code',
      'GONE-2025',
      '--credits',
      '5',
      '--max-redemptions',
      '10',
      '--redeem-by',
      '2026-11-01T00:00:00.000Z',
      '--operator',
      'ops',
    );
    const a = await signUp(t.app);
    const b = await signUp(t.app);
    expect((await redeem(a.headers, 'ONCE-ONLY')).statusCode).toBe(201);
    const seq = await headSeq(t.db, b.accountId);
    const cases: Array<[string, number, string, RegExp]> = [
      ['ONCE-ONLY', 409, 'promo-exhausted', /has been redeemed as often as it may be/],
      ['GONE-2025', 409, 'promo-expired', /could be redeemed until 2026-11-01/],
      ['NOPE-NOPE', 404, 'promo-not-found', /There is no promo code NOPE-NOPE/],
      ['no', 400, 'invalid-request', /4 to 32 letters/],
      ['bad code!', 400, 'invalid-request', /4 to 32 letters/],
    ];
    for (const [code, status, errorCode, message] of cases) {
      const res = await redeem(b.headers, code);
      expect(res.statusCode, code).toBe(status);
      expect(res.json().error.code).toBe(errorCode);
      expect(res.json().error.message).toMatch(message);
    }
    expect(await headSeq(t.db, b.accountId)).toBe(seq);
    expect(await balance(b.headers)).toBe(0);
  });

  it('the admin command refuses bad flags and a code that exists', async () => {
    await expect(
      admin('--code', 'X1', '--credits', '5', '--max-redemptions', '1', '--operator', 'ops'),
    ).rejects.toThrow(/code: a promo code is 4 to 32/);
    await expect(
      admin(
        '--code',
        'ZERO-CREDITS',
        '--credits',
        '0',
        '--max-redemptions',
        '1',
        '--operator',
        'o',
      ),
    ).rejects.toThrow(/credits/);
    await expect(
      admin('--code', 'NO-OPERATOR', '--credits', '5', '--max-redemptions', '1'),
    ).rejects.toThrow(/operator/);
    await expect(
      admin('--code', 'ONCE-ONLY', '--credits', '5', '--max-redemptions', '1', '--operator', 'o'),
    ).rejects.toThrow(/already exists/);
  });

  it('the OpenAPI document names promo codes', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(doc.paths['/v1/promo-codes/redeem'].post.summary).toMatch(/^Promo codes/);
  });
});

// docs/architecture.md §2, promo codes: the count rises only below the maximum, in one statement
// under the code row's lock. 30 accounts redeem at once through two instances: exactly 7 win.
describe('promo codes: concurrent redemptions on two instances over one PostgreSQL', () => {
  let t: TestServer;
  let bases: string[] = [];
  beforeAll(async () => {
    ({ t, bases } = await twoListeningInstances());
  });
  afterAll(async () => t.close());

  it('30 accounts at once against a maximum of 7: exactly 7 grants, the count is 7', async () => {
    await commands['create-promo']!.run(t.services, [
      '--code',
      'RUSH-HOUR',
      '--credits',
      '10',
      '--max-redemptions',
      '7',
      '--operator',
      'ops',
    ]);
    const users = await Promise.all(Array.from({ length: 30 }, () => signUp(t.app)));
    const statuses = await Promise.all(
      users.map(async (u, i) => {
        const res = await fetch(`${bases[i % 2]}/v1/promo-codes/redeem`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...u.headers },
          body: JSON.stringify({ operationId: opId('promo'), code: 'RUSH-HOUR' }),
        });
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(7);
    expect(statuses.filter((s) => s === 409)).toHaveLength(23);
    const { rows } = await t.db.query<{ redeemed: number; n: number }>(
      `select redeemed, (select count(*)::int from promo_redemptions where code = 'RUSH-HOUR') as n from promo_codes where code = 'RUSH-HOUR'`,
    );
    expect(rows[0]).toEqual({ redeemed: 7, n: 7 });
    const grants = await t.db.query<{ n: number }>(
      `select count(*)::int as n from entries where type = 'grant' and body like '%promo code RUSH-HOUR%'`,
    );
    expect(grants.rows[0]?.n).toBe(7);
  });
});
