import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullResponse } from '../../shared/api/ledger';
import { parseEntry } from '../../shared/ledger/chain';
import type { EntryBody } from '../../shared/ledger/entry';
import { verifyChain } from '../../shared/ledger/verify';
import { foldAll } from '../../shared/wallet/fold';
import { generateKeyPair } from '../../shared/crypto/ed25519';
import { testServerKeys } from '../../shared/testing/ledger-fixture';
import { DAY, HOUR, plusMs } from '../clock';
import {
  type TestServer,
  backends,
  entryCount,
  opId,
  signUp,
  testServer,
} from '../testing/harness';
import { commands } from './commands';

/** Operator controls through the admin CLI (docs/architecture.md §2), on both databases. */
describe.each(backends)('operator controls on %s', (backend) => {
  let t: TestServer;
  const T0 = '2026-11-10T09:00:00.000Z';
  beforeAll(async () => {
    t = await testServer(backend, { ledger: { dailyCreditsByPlan: {} }, start: T0 });
  });
  afterAll(async () => t.close());

  const run = (name: string, ...args: string[]) => commands[name]!.run(t.services, args);
  const who = ['--operator', 'Ada Ops'];
  type Headers = Record<string, string>;
  const hold = (headers: Headers, amount: number) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/ledger/holds',
      headers,
      payload: {
        operationId: opId('hold'),
        amount,
        purpose: { kind: 'job', jobId: opId('job'), tool: 'generate' },
      },
    });
  const balance = async (headers: Headers) =>
    (await t.app.inject({ method: 'GET', url: '/v1/ledger/balance', headers })).json<{
      balances: Record<string, { balance: number; available: number }>;
    }>().balances.image ?? { balance: 0, available: 0 };
  const chain = async (headers: Headers) => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/ledger/entries?after=0&limit=1000',
      headers,
    });
    return PullResponse.parse(res.json());
  };
  const bucketOf = (out: string) => /bucket (b_[0-9a-f-]+)/.exec(out)?.[1] ?? '';

  it('spends a grant of lower priority number first, whatever its expiry', async () => {
    const u = await signUp(t.app);
    await run(
      'grant',
      '--account',
      u.email,
      '--amount',
      '10',
      '--reason',
      'soon',
      ...who,
      '--expires-days',
      '1',
    );
    const first = bucketOf(
      await run(
        'grant',
        '--account',
        u.email,
        '--amount',
        '10',
        '--reason',
        'priority',
        ...who,
        '--priority',
        '5',
      ),
    );
    const res = await hold(u.headers, 15);
    expect(res.statusCode).toBe(201);
    const held = (await chain(u.headers)).entries.map((e) => parseEntry(e).data).at(-1);
    expect(held?.type === 'hold' && held.splits[0]).toEqual({ bucketId: first, amount: 10 });
    expect(held?.type === 'hold' && held.splits[1]?.amount).toBe(5);
  });

  it('a grant with a future start is not spendable until the injected clock reaches it', async () => {
    const u = await signUp(t.app);
    const startsAt = plusMs(t.clock.now(), 2 * DAY);
    const out = await run(
      'grant',
      '--account',
      u.email,
      '--amount',
      '100',
      '--reason',
      'launch credits',
      ...who,
      '--starts-at',
      startsAt,
      '--expires-days',
      '7',
      '--priority',
      '0',
    );
    expect(out).toContain(`spendable from ${startsAt}`);
    await run('grant', '--account', u.email, '--amount', '5', '--reason', 'now', ...who);
    expect(await balance(u.headers)).toMatchObject({ balance: 5, available: 5 });
    const refused = await hold(u.headers, 6);
    expect(refused.statusCode).toBe(402);
    t.clock.set(plusMs(startsAt, -1));
    expect((await hold(u.headers, 6)).statusCode).toBe(402);
    t.clock.set(startsAt);
    expect(await balance(u.headers)).toMatchObject({ balance: 105, available: 105 });
    const ok = await hold(u.headers, 101);
    expect(ok.statusCode).toBe(201);
    const entries = (await chain(u.headers)).entries.map((e) => parseEntry(e).data);
    const grant = entries.find((e) => e.type === 'grant' && e.reason === 'launch credits');
    expect(grant).toMatchObject({
      operator: 'Ada Ops',
      bucket: { effectiveAt: startsAt, expiresAt: plusMs(startsAt, 7 * DAY), priority: 0 },
    });
    const last = entries.at(-1);
    expect(last?.type === 'hold' && last.splits[0]).toEqual({
      bucketId: grant?.type === 'grant' ? grant.bucket.bucketId : '',
      amount: 100,
    });
  });

  it('an offline allowance cannot reserve credits before their start, and can from it on', async () => {
    t.clock.set(T0);
    const u = await signUp(t.app);
    const startsAt = plusMs(T0, DAY);
    await run(
      'grant',
      '--account',
      u.email,
      '--amount',
      '80',
      '--reason',
      'later on',
      ...who,
      '--starts-at',
      startsAt,
    );
    const device = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/devices',
        headers: u.headers,
        payload: { name: 'pc', publicKey: generateKeyPair().publicKey },
      })
    ).json<{ deviceId: string }>();
    const take = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/allowances',
        headers: u.headers,
        payload: { operationId: opId('al'), deviceId: device.deviceId, amount: 50 },
      });
    const early = await take();
    expect(early.statusCode).toBe(402);
    t.clock.set(startsAt);
    const ok = await take();
    expect(ok.statusCode).toBe(201);
    expect(ok.json<{ amount: number }>().amount).toBe(50);
    t.clock.set(T0);
  });

  it('moves a bucket’s expiry later and earlier with signed entries that verify offline', async () => {
    t.clock.set(T0);
    const u = await signUp(t.app);
    const later = bucketOf(
      await run(
        'grant',
        '--account',
        u.email,
        '--amount',
        '20',
        '--reason',
        'first grant',
        ...who,
        '--expires-days',
        '1',
      ),
    );
    const sooner = bucketOf(
      await run(
        'grant',
        '--account',
        u.email,
        '--amount',
        '30',
        '--reason',
        'second grant',
        ...who,
        '--expires-days',
        '30',
      ),
    );
    const extended = plusMs(T0, 10 * DAY);
    expect(
      await run(
        'adjust-expiry',
        '--bucket',
        later,
        '--expires-at',
        extended,
        '--reason',
        'ticket 7: travel',
        ...who,
      ),
    ).toMatch(new RegExp(`now expires ${extended} \\(was ${plusMs(T0, DAY)}\\)`));
    const cut = plusMs(T0, HOUR);
    await run(
      'adjust-expiry',
      '--account',
      u.email,
      '--bucket',
      sooner,
      '--expires-at',
      cut,
      '--reason',
      'ticket 8: abuse',
      ...who,
    );
    t.clock.set(plusMs(T0, 2 * HOUR));
    expect(await balance(u.headers)).toMatchObject({ balance: 20 });
    t.clock.set(plusMs(T0, 2 * DAY));
    expect(await balance(u.headers)).toMatchObject({ balance: 20 });
    expect((await hold(u.headers, 20)).statusCode).toBe(201);

    const pulled = await chain(u.headers);
    expect(
      verifyChain(pulled.entries, pulled.checkpoint, testServerKeys, { accountId: u.accountId }).ok,
    ).toBe(true);
    const bodies: EntryBody[] = pulled.entries.map((e) => parseEntry(e).data);
    expect(bodies.filter((b) => b.type === 'adjust-expiry')).toMatchObject([
      { bucketId: later, expiresAt: extended, operator: 'Ada Ops', reason: 'ticket 7: travel' },
      {
        bucketId: sooner,
        previousExpiresAt: plusMs(T0, 30 * DAY),
        expiresAt: cut,
        reason: 'ticket 8: abuse',
      },
    ]);
    // The shortened bucket was expired by an entry at its new time, not its old one.
    expect(bodies.find((b) => b.type === 'expire')).toMatchObject({ bucketId: sooner, amount: 30 });
    expect(foldAll(bodies).view(t.clock.now()).balances.image?.balance).toBe(20);
    expect(await run('verify', '--account', u.email)).toMatch(/^ok: /);
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    t.clock.set(T0);
    const u = await signUp(t.app);
    const b = bucketOf(
      await run(
        'grant',
        '--account',
        u.email,
        '--amount',
        '20',
        '--reason',
        'first grant',
        ...who,
        '--expires-days',
        '1',
      ),
    );
    const gone = bucketOf(
      await run(
        'grant',
        '--account',
        u.email,
        '--amount',
        '3',
        '--reason',
        'short',
        ...who,
        '--expires-days',
        '1',
      ),
    );
    await run(
      'adjust-expiry',
      '--bucket',
      gone,
      '--expires-at',
      plusMs(T0, HOUR),
      '--reason',
      'shorten',
      ...who,
    );
    t.clock.set(plusMs(T0, 2 * HOUR));
    await balance(u.headers); // reads only
    const before = await entryCount(t.db);
    const past = plusMs(T0, 60_000);
    const cases: Array<[string[], RegExp]> = [
      [
        ['grant', '--account', 'nobody@example.com', '--amount', '1', '--reason', 'ghost', ...who],
        /account nobody@example.com not found/,
      ],
      [
        ['grant', '--account', u.email, '--amount', '1', '--reason', 'no operator'],
        /--operator: is required/,
      ],
      [['grant', '--account', u.email, '--amount', '1', ...who], /--reason: is required/],
      [
        ['grant', '--account', u.email, '--amount', '1', '--reason', 'x y', '--operator', '!'],
        /--operator/,
      ],
      [
        [
          'grant',
          '--account',
          u.email,
          '--amount',
          '1',
          '--reason',
          'late',
          ...who,
          '--starts-at',
          past,
        ],
        /start .* is in the past/,
      ],
      [
        [
          'grant',
          '--account',
          u.email,
          '--amount',
          '1',
          '--reason',
          'when',
          ...who,
          '--starts-at',
          'soon',
        ],
        /not an ISO time/,
      ],
      [
        [
          'grant',
          '--account',
          u.email,
          '--amount',
          '1',
          '--reason',
          'prio',
          ...who,
          '--priority',
          '1001',
        ],
        /--priority/,
      ],
      [
        ['revoke', '--account', u.email, '--amount', '1', '--reason', 'who?'],
        /--operator: is required/,
      ],
      [
        ['adjust-expiry', '--bucket', 'b_nope', '--expires-at', 'never', '--reason', 'r r', ...who],
        /bucket b_nope not found/,
      ],
      [
        [
          'adjust-expiry',
          '--account',
          u.email,
          '--bucket',
          'b_nope',
          '--expires-at',
          'never',
          '--reason',
          'r r',
          ...who,
        ],
        /bucket b_nope of .* not found/,
      ],
      [
        ['adjust-expiry', '--bucket', b, '--expires-at', past, '--reason', 'r r', ...who],
        /not in the future/,
      ],
      [
        [
          'adjust-expiry',
          '--bucket',
          b,
          '--expires-at',
          plusMs(T0, DAY),
          '--reason',
          'r r',
          ...who,
        ],
        /already expires/,
      ],
      [
        [
          'adjust-expiry',
          '--bucket',
          gone,
          '--expires-at',
          plusMs(T0, DAY),
          '--reason',
          'revive',
          ...who,
        ],
        /expired at/,
      ],
      [
        ['adjust-expiry', '--bucket', b, '--expires-at', 'never', '--reason', 'no one'],
        /--operator: is required/,
      ],
      [
        [
          'adjust-expiry',
          '--bucket',
          'daily-2026-11-10',
          '--expires-at',
          'never',
          '--reason',
          'r r',
          ...who,
          '--account',
          'ghost',
        ],
        /account ghost not found/,
      ],
    ];
    for (const [[name, ...args], message] of cases) {
      await expect(run(name!, ...args), args.join(' ')).rejects.toThrow(message);
    }
    expect(await entryCount(t.db)).toBe(before);
  });
});
