import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullResponse } from '../../shared/api/ledger';
import { TeamDetail, TeamSettleResponse } from '../../shared/api/teams';
import { type KeyPair, generateKeyPair } from '../../shared/crypto/ed25519';
import { EntryBody, type Voucher } from '../../shared/ledger/entry';
import { signVoucher } from '../../shared/ledger/voucher';
import { verifyChain } from '../../shared/ledger/verify';
import { testServerKeys } from '../../shared/testing/ledger-fixture';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';
import { teamFixture } from '../testing/team-fixture';

type Headers = Record<string, string>;
type User = Awaited<ReturnType<typeof signUp>>;

// docs/architecture.md §5, §14: a member's device reserves an allowance from the team wallet,
// spends it offline with vouchers naming the team, member and project, and the team's settle
// route takes them back once each, under the team account's lock.
describe.each(backends)('team offline allowances on %s', (backend) => {
  let t: TestServer;
  let design: { designId: string; credits: number };
  beforeAll(async () => {
    t = await testServer(backend, {
      ledger: { dailyCreditsByPlan: { free: 20 } },
      start: '2026-11-10T09:00:00.000Z',
    });
    const u = await signUp(t.app);
    const { designs } = (await get('/v1/designs', u.headers)).json<{
      designs: Array<{ designId: string; credits: number }>;
    }>();
    design = designs.find((d) => d.credits > 0 && d.credits <= 100)!;
  });
  afterAll(async () => t.close());

  const post = (url: string, headers: Headers, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const get = (url: string, headers: Headers) => t.app.inject({ method: 'GET', url, headers });

  const team = async (credits: number, n: number) => {
    const tm = await teamFixture(t.app, t.services.ledger, {
      name: 'Offline crew',
      credits,
      members: Array.from({ length: n }, () => 'member' as const),
      project: 'Catalog',
    });
    const members: Array<User & { keys: KeyPair; deviceId: string }> = [];
    for (const m of tm.members) {
      const keys = generateKeyPair();
      const device = (
        await post('/v1/devices', m.headers, { name: 'laptop', publicKey: keys.publicKey })
      ).json<{ deviceId: string }>();
      members.push({ ...m, keys, deviceId: device.deviceId });
    }
    return { ...tm, members };
  };
  type Team = Awaited<ReturnType<typeof team>>;
  type Member = Team['members'][number];

  const setBudget = (tm: Team, memberId: string, monthly: number) =>
    post(`/v1/teams/${tm.teamId}/budgets`, tm.owner.headers, {
      operationId: opId('budget'),
      scope: 'member',
      subjectId: memberId,
      monthly,
    });
  const reserve = (tm: Team, m: Member, amount: number) =>
    post(`/v1/teams/${tm.teamId}/allowances`, m.headers, {
      operationId: opId('al'),
      deviceId: m.deviceId,
      amount,
    });
  const voucher = (
    tm: Team,
    m: Member,
    allowanceId: string,
    counter: number,
    projectId: string | null,
  ): Voucher => ({
    allowanceId,
    counter,
    amount: design.credits,
    itemId: `offline.${design.designId}.${counter}`,
    purpose: { kind: 'design', designId: design.designId },
    at: t.clock.now(),
    team: { teamId: tm.teamId, memberId: m.accountId, projectId },
  });
  const signed = (v: Voucher, keys: KeyPair) => ({
    voucher: v,
    signature: signVoucher(v, keys.secretKey),
  });
  const settle = (
    tm: Team,
    m: Member,
    allowanceId: string,
    vouchers: unknown[],
    returnRest = false,
    operationId = opId('settle'),
  ) =>
    post(`/v1/teams/${tm.teamId}/allowances/${allowanceId}/settle`, m.headers, {
      operationId,
      vouchers,
      returnRest,
    });
  const chain = async (tm: Team) => {
    const res = await get(
      `/v1/teams/${tm.teamId}/ledger/entries?after=0&limit=5000`,
      tm.owner.headers,
    );
    const page = PullResponse.parse(res.json());
    expect(
      verifyChain(page.entries, page.checkpoint, testServerKeys, { accountId: tm.accountId }).ok,
    ).toBe(true);
    return page.entries.map((e) => EntryBody.parse(JSON.parse(e.body)));
  };
  const balance = async (tm: Team) =>
    (await get(`/v1/teams/${tm.teamId}/balance`, tm.owner.headers)).json().balances.image;
  const budgetUse = async (tm: Team, m: Member) =>
    TeamDetail.parse((await get(`/v1/teams/${tm.teamId}`, tm.owner.headers)).json()).members.find(
      (x) => x.accountId === m.accountId,
    )?.budget;

  it('reserves within the budget, settles vouchers tagged with member and project, returns the rest', async () => {
    const tm = await team(2000, 1);
    const m = tm.members[0]!;
    const cap = design.credits * 3 + 7;
    await setBudget(tm, m.accountId, cap);
    const res = await reserve(tm, m, 5000);
    expect(res.statusCode).toBe(201);
    const al = res.json<{ allowanceId: string; amount: number }>();
    expect(al.amount).toBe(cap); // cut to what the member's budget leaves
    expect(await budgetUse(tm, m)).toEqual({ monthly: cap, used: cap });
    // The reserve entry names the member; a second reserve finds no budget left.
    expect((await reserve(tm, m, 1)).statusCode).toBe(403);

    const out = await settle(
      tm,
      m,
      al.allowanceId,
      [
        signed(voucher(tm, m, al.allowanceId, 1, tm.project), m.keys),
        signed(voucher(tm, m, al.allowanceId, 2, null), m.keys),
        signed(voucher(tm, m, al.allowanceId, 3, tm.project), m.keys),
      ],
      true,
    );
    expect(out.statusCode).toBe(200);
    const body = TeamSettleResponse.parse(out.json());
    expect(body.vouchers.map((v) => v.status)).toEqual(['settled', 'settled', 'settled']);
    expect(body.allowance).toMatchObject({ status: 'closed', settled: design.credits * 3 });

    const entries = await chain(tm);
    const reserveEntry = entries.find((e) => e.type === 'reserve');
    expect(reserveEntry).toMatchObject({ team: { memberId: m.accountId, projectId: null } });
    const settles = entries.filter((e) => e.type === 'settle');
    expect(
      settles.map((e) => ({
        team: 'team' in e ? e.team : null,
        amount: 'amount' in e && e.amount,
      })),
    ).toEqual([
      { team: { memberId: m.accountId, projectId: tm.project }, amount: design.credits * 2 },
      { team: { memberId: m.accountId, projectId: null }, amount: design.credits },
    ]);
    expect(entries.at(-1)).toMatchObject({
      type: 'unreserve',
      amount: 7,
      team: { memberId: m.accountId },
    });
    // The budget charge closed at what was spent; the rest is back on the wallet.
    expect(await budgetUse(tm, m)).toEqual({ monthly: cap, used: design.credits * 3 });
    expect(await balance(tm)).toMatchObject({
      balance: 2000 - design.credits * 3,
      reserved: 0,
      available: 2000 - design.credits * 3,
    });
    // The cost report counts what was spent offline, per project and member, as credits.
    const report = (await get(`/v1/teams/${tm.teamId}/report`, tm.owner.headers)).json<{
      byProject: Array<{ id: string | null; spent: number; runs: number }>;
      byMember: Array<{ id: string; spent: number }>;
      total: number;
    }>();
    expect(report.total).toBe(design.credits * 3);
    expect(report.byProject).toContainEqual(
      expect.objectContaining({ id: tm.project, spent: design.credits * 2, runs: 0 }),
    );
    expect(report.byMember).toEqual([
      expect.objectContaining({ id: m.accountId, spent: design.credits * 3 }),
    ]);
    // The design belongs to the member whose device redeemed it.
    const owned = (await get('/v1/designs', m.headers)).json<{
      designs: Array<{ designId: string; owned: boolean }>;
    }>();
    expect(owned.designs.find((d) => d.designId === design.designId)?.owned).toBe(true);
  });

  it('a replayed voucher settles once, under a new operation id too', async () => {
    const tm = await team(1000, 1);
    const m = tm.members[0]!;
    const al = (await reserve(tm, m, 300)).json<{ allowanceId: string }>().allowanceId;
    const v1 = signed(voucher(tm, m, al, 1, tm.project), m.keys);
    const op = opId('settle');
    const first = await settle(tm, m, al, [v1], false, op);
    expect(first.json().vouchers).toEqual([{ counter: 1, status: 'settled' }]);
    // The same request again is answered from the operation; the same voucher in a new one
    // is already settled; both write nothing.
    const head = (await chain(tm)).length;
    expect((await settle(tm, m, al, [v1], false, op)).json()).toEqual(first.json());
    const again = await settle(tm, m, al, [v1, signed(voucher(tm, m, al, 2, null), m.keys)]);
    expect(again.statusCode).toBe(200);
    expect(again.json().vouchers).toEqual([
      { counter: 1, status: 'already-settled' },
      { counter: 2, status: 'settled' },
    ]);
    const entries = await chain(tm);
    expect(entries.length).toBe(head + 1);
    expect(entries.filter((e) => e.type === 'settle')).toHaveLength(2);
    expect(await balance(tm)).toMatchObject({ balance: 1000 - 2 * design.credits });
  });

  it('refuses forged vouchers, another member’s, another team’s, and a removed member’s, writing nothing', async () => {
    const tm = await team(1000, 2);
    const other = await team(1000, 1);
    const [a, b] = tm.members as [Member, Member];
    const c = other.members[0]!;
    const alA = (await reserve(tm, a, 200)).json<{ allowanceId: string }>().allowanceId;
    const alB = (await reserve(tm, b, 200)).json<{ allowanceId: string }>().allowanceId;
    const alC = (await reserve(other, c, 200)).json<{ allowanceId: string }>().allowanceId;
    const before = (await chain(tm)).length;
    const otherBefore = (await chain(other)).length;

    // Signed by another key than the device the reserve names.
    const forged = await settle(tm, a, alA, [signed(voucher(tm, a, alA, 1, null), b.keys)]);
    expect(forged.statusCode).toBe(200);
    expect(forged.json().vouchers).toMatchObject([{ counter: 1, code: 'bad-signature' }]);
    // Naming another member or team than the caller's.
    const named = await settle(tm, a, alA, [
      signed(
        {
          ...voucher(tm, a, alA, 1, null),
          team: { teamId: tm.teamId, memberId: b.accountId, projectId: null },
        },
        a.keys,
      ),
      signed(
        {
          ...voucher(tm, a, alA, 2, null),
          team: { teamId: other.teamId, memberId: a.accountId, projectId: null },
        },
        a.keys,
      ),
      signed({ ...voucher(tm, a, alA, 3, null), team: undefined }, a.keys),
      signed(voucher(tm, a, alA, 4, 'prj_nope'), a.keys),
    ]);
    expect(named.json().vouchers.map((v: { code: string }) => v.code)).toEqual([
      'wrong-wallet',
      'wrong-wallet',
      'wrong-wallet',
      'bad-purpose',
    ]);
    // Another member's allowance, even with that member's valid vouchers: as if none existed.
    const bs = await settle(tm, a, alB, [signed(voucher(tm, b, alB, 1, null), b.keys)]);
    expect(bs.statusCode).toBe(404);
    // Another team's allowance through this team, and a team voucher on the personal route.
    expect(
      (await settle(tm, c, alC, [signed(voucher(other, c, alC, 1, null), c.keys)])).statusCode,
    ).toBe(404);
    expect(
      (await settle(tm, a, alC, [signed(voucher(tm, a, alC, 1, null), a.keys)])).statusCode,
    ).toBe(404);
    const personal = await post(`/v1/allowances/${alA}/settle`, a.headers, {
      operationId: opId('settle'),
      vouchers: [signed(voucher(tm, a, alA, 1, null), a.keys)],
    });
    expect(personal.statusCode).toBe(404);
    expect((await chain(tm)).length).toBe(before);
    expect((await chain(other)).length).toBe(otherBefore);

    // Removed: the allowance was returned at removal; a voucher arriving later is refused.
    const spentOffline = signed(voucher(tm, b, alB, 1, null), b.keys);
    expect(
      (
        await post(`/v1/teams/${tm.teamId}/members/${b.accountId}/remove`, tm.owner.headers, {
          operationId: opId('rm'),
        })
      ).json(),
    ).toEqual({ holdsReleased: 0, allowancesReturned: 1 });
    const afterRemoval = (await chain(tm)).length;
    const late = await settle(tm, b, alB, [spentOffline]);
    expect(late.statusCode).toBe(403);
    expect(late.json().error.code).toBe('team-member-removed');
    expect((await chain(tm)).length).toBe(afterRemoval);
    expect(await balance(tm)).toMatchObject({ balance: 1000, reserved: 200, available: 800 });
  });
  it('the same vouchers settled at once through two instances settle once; a voucher for another team’s project is refused', async () => {
    const tm = await team(1000, 1);
    const other = await team(1000, 1);
    const m = tm.members[0]!;
    const al = (await reserve(tm, m, 300)).json<{ allowanceId: string }>().allowanceId;
    const vs = [1, 2, 3].map((n) => signed(voucher(tm, m, al, n, tm.project), m.keys));
    // PostgreSQL: a second API instance (own pool, locks and fold cache); PGlite: one process.
    const second = backend === 'postgres' ? (await t.anotherInstance()).app : t.app;
    const both = await Promise.all([
      post(`/v1/teams/${tm.teamId}/allowances/${al}/settle`, m.headers, {
        operationId: opId('settle'),
        vouchers: vs,
      }),
      second.inject({
        method: 'POST',
        url: `/v1/teams/${tm.teamId}/allowances/${al}/settle`,
        headers: m.headers,
        payload: { operationId: opId('settle'), vouchers: vs },
      }),
    ]);
    expect(both.map((r) => r.statusCode)).toEqual([200, 200]);
    const outcomes = both.flatMap((r) =>
      r.json<TeamSettleResponse>().vouchers.map((v) => v.status),
    );
    expect(outcomes.filter((x) => x === 'settled')).toHaveLength(3);
    expect(outcomes.filter((x) => x === 'already-settled')).toHaveLength(3);
    const entries = await chain(tm);
    const settled = entries.flatMap((e) => (e.type === 'settle' ? [e.amount] : []));
    expect(settled.reduce((a, b) => a + b, 0)).toBe(3 * design.credits);
    expect(await balance(tm)).toMatchObject({ balance: 1000 - 3 * design.credits });
    // A voucher naming this team but another team's project.
    const head = entries.length;
    const foreign = await settle(tm, m, al, [signed(voucher(tm, m, al, 4, other.project), m.keys)]);
    expect(foreign.json().vouchers).toMatchObject([{ counter: 4, code: 'bad-purpose' }]);
    expect((await chain(tm)).length).toBe(head);
  });
});
