import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullResponse } from '../../shared/api/ledger';
import { TeamDetail, TeamReport, TeamSummary } from '../../shared/api/teams';
import { generateKeyPair } from '../../shared/crypto/ed25519';
import { EntryBody } from '../../shared/ledger/entry';
import { verifyChain } from '../../shared/ledger/verify';
import { testServerKeys } from '../../shared/testing/ledger-fixture';
import { WalletFold } from '../../shared/wallet/fold';
import { DAY, MINUTE } from '../clock';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';
import { teamFixture } from '../testing/team-fixture';

type Headers = Record<string, string>;
type User = Awaited<ReturnType<typeof signUp>>;

describe.each(backends)('teams on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, {
      ledger: { dailyCreditsByPlan: { free: 20 } },
      start: '2026-11-10T09:00:00.000Z',
    });
  });
  afterAll(async () => t.close());

  const post = (url: string, headers: Headers, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const get = (url: string, headers: Headers) => t.app.inject({ method: 'GET', url, headers });
  const detail = async (teamId: string, u: User) =>
    TeamDetail.parse((await get(`/v1/teams/${teamId}`, u.headers)).json());

  /** A team owned by a new user, funded with `credits`, and `n` members who joined by invite. */
  const team = (credits = 1000, n = 1) =>
    teamFixture(t.app, t.services.ledger, {
      credits,
      members: Array.from({ length: n }, () => 'member' as const),
    });
  const hold = (teamId: string, u: User, amount: number, projectId: string | null = null) =>
    post(`/v1/teams/${teamId}/holds`, u.headers, {
      operationId: opId('hold'),
      amount,
      projectId,
      purpose: { kind: 'job', jobId: `job-${opId()}`, tool: 'generate' },
    });
  const capture = (teamId: string, u: User, holdId: string, amount: number) =>
    post(`/v1/teams/${teamId}/holds/${holdId}/capture`, u.headers, {
      operationId: opId('cap'),
      amount,
    });
  const setBudget = (
    teamId: string,
    u: User,
    scope: 'member' | 'project',
    subjectId: string,
    monthly: number | null,
  ) =>
    post(`/v1/teams/${teamId}/budgets`, u.headers, {
      operationId: opId('budget'),
      scope,
      subjectId,
      monthly,
    });
  const pull = async (teamId: string, u: User) => {
    const res = await get(`/v1/teams/${teamId}/ledger/entries?after=0&limit=5000`, u.headers);
    expect(res.statusCode).toBe(200);
    return PullResponse.parse(res.json());
  };

  it('invites: the token is stored only as its hash, works once, for the invited address, until it expires', async () => {
    const owner = await signUp(t.app);
    const { teamId } = TeamSummary.parse(
      (await post('/v1/teams', owner.headers, { name: 'Acme' })).json(),
    );
    const invited = await signUp(t.app);
    const other = await signUp(t.app);
    const invite = await post(`/v1/teams/${teamId}/invites`, owner.headers, {
      email: invited.email.toUpperCase(),
      role: 'admin',
    });
    const token: string = invite.json().token;
    const { rows } = await t.db.query<{ token_hash: string }>(
      'select token_hash from team_invites where team_id = $1',
      [teamId],
    );
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
    expect(JSON.stringify(rows)).not.toContain(token);

    // The preview names the team and says, for the one asking, whether they may join; it writes nothing.
    const preview = async (u: User, tok = token) =>
      (await post('/v1/team-invites/preview', u.headers, { token: tok })).json();
    expect(await preview(other)).toEqual({
      teamName: 'Acme',
      email: invited.email.toLowerCase(),
      role: 'admin',
      expiresAt: invite.json().expiresAt,
      state: 'other-email',
    });
    expect(await preview(invited)).toMatchObject({ teamName: 'Acme', state: 'open' });
    expect(await preview(owner)).toMatchObject({ state: 'member' });
    const wrong = await post('/v1/team-invites/accept', other.headers, { token });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('invite-other-email');
    expect((await get(`/v1/teams/${teamId}`, other.headers)).statusCode).toBe(404);

    const ok = await post('/v1/team-invites/accept', invited.headers, { token });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ teamId, role: 'admin' });
    const again = await post('/v1/team-invites/accept', invited.headers, { token });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invite-used');
    expect(await preview(invited)).toMatchObject({ state: 'member' });
    expect(await preview(other)).toMatchObject({ state: 'used' });
    // Removed, the member cannot come back with the same link.
    const removed = await post(
      `/v1/teams/${teamId}/members/${invited.accountId}/remove`,
      owner.headers,
      {
        operationId: opId('rm'),
      },
    );
    expect(removed.statusCode).toBe(200);
    const back = await post('/v1/team-invites/accept', invited.headers, { token });
    expect(back.statusCode).toBe(409);
    expect(back.json().error.code).toBe('invite-used');
    expect(await preview(invited)).toMatchObject({ state: 'used' });
    expect((await get(`/v1/teams/${teamId}`, invited.headers)).statusCode).toBe(404);

    const late = await signUp(t.app);
    const lateToken: string = (
      await post(`/v1/teams/${teamId}/invites`, owner.headers, { email: late.email })
    ).json().token;
    t.clock.advance(8 * DAY);
    expect(await preview(late, lateToken)).toMatchObject({ state: 'expired' });
    const expired = await post('/v1/team-invites/accept', late.headers, { token: lateToken });
    expect(expired.statusCode).toBe(409);
    expect(expired.json().error.code).toBe('invite-expired');
    t.clock.set('2026-11-10T09:00:00.000Z');
    const bogus = await post('/v1/team-invites/accept', late.headers, { token: 'x'.repeat(43) });
    expect(bogus.statusCode).toBe(404);
    const unknown = await post('/v1/team-invites/preview', late.headers, { token: 'x'.repeat(43) });
    expect(unknown.statusCode).toBe(404);
    const notAToken = await post('/v1/team-invites/preview', late.headers, { token: 'short' });
    expect(notAToken.statusCode).toBe(400);
    expect((await get('/v1/teams', invited.headers)).json().teams).toEqual([]);
    expect((await get('/v1/teams', owner.headers)).json().teams).toEqual([
      expect.objectContaining({ teamId, role: 'owner' }),
    ]);
  });

  it('a member holds and captures on the team wallet; the chain names member and project, verifies, and folds', async () => {
    const tm = await team(1000, 1);
    const m = tm.members[0]!;
    const h = await hold(tm.teamId, m, 40, tm.project);
    expect(h.statusCode).toBe(201);
    expect((await capture(tm.teamId, m, h.json().holdId, 25)).statusCode).toBe(200);
    const page = await pull(tm.teamId, m);
    const verdict = verifyChain(page.entries, page.checkpoint, testServerKeys, {
      accountId: tm.accountId,
    });
    expect(verdict.ok).toBe(true);
    const bodies = page.entries.map((e) => EntryBody.parse(JSON.parse(e.body)));
    const fold = new WalletFold();
    for (const b of bodies) fold.apply(b);
    expect(fold.view('2026-11-10T09:00:00.000Z').balances.image?.balance).toBe(975);
    // No daily credits on a team wallet: the grant, the hold and the capture only.
    expect(bodies.map((b) => b.type)).toEqual(['grant', 'hold', 'capture']);
    for (const b of bodies.slice(1))
      expect(b).toMatchObject({ team: { memberId: m.accountId, projectId: tm.project } });
    // The member's own wallet is untouched.
    const own = (await get('/v1/ledger/balance', m.headers)).json();
    expect(own.balances.image.balance).toBe(20);
    const report = TeamReport.parse((await get(`/v1/teams/${tm.teamId}/report`, m.headers)).json());
    expect(report).toMatchObject({
      month: '2026-11',
      total: 25,
      byProject: [{ id: tm.project, name: 'Spring catalog', spent: 25, runs: 1 }],
      byMember: [{ id: m.accountId, name: m.email, spent: 25, runs: 1 }],
    });
  });

  it('a capture above the hold is 400 capture-exceeds-hold and writes nothing; the hold stays open', async () => {
    const tm = await team(1000, 1);
    const m = tm.members[0]!;
    const h = await hold(tm.teamId, m, 30, tm.project);
    const before = await pull(tm.teamId, m);
    const over = await capture(tm.teamId, m, h.json().holdId, 31);
    expect(over.statusCode).toBe(400);
    expect(over.json().error.code).toBe('capture-exceeds-hold');
    expect((await pull(tm.teamId, m)).entries.length).toBe(before.entries.length);
    // The charge is still open against the budgets: the capture of the whole hold goes through.
    expect((await capture(tm.teamId, m, h.json().holdId, 30)).statusCode).toBe(200);
  });

  it('budgets per member and per project: refused past them at hold time, back when captured for less, reset next month', async () => {
    const tm = await team(10_000, 2);
    const [a, b] = tm.members as [User, User];
    expect((await setBudget(tm.teamId, tm.owner, 'member', a.accountId, 100)).statusCode).toBe(200);
    expect((await setBudget(tm.teamId, tm.owner, 'project', tm.project, 150)).statusCode).toBe(200);
    const h1 = await hold(tm.teamId, a, 60, tm.project);
    expect(h1.statusCode).toBe(201);
    const refused = await hold(tm.teamId, a, 50);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({
      code: 'team-budget',
      details: { scope: 'member', limit: 100, used: 60, requested: 50 },
    });
    await capture(tm.teamId, a, h1.json().holdId, 30);
    expect((await hold(tm.teamId, a, 70)).statusCode).toBe(201); // 30 + 70 = 100
    expect((await hold(tm.teamId, a, 1)).statusCode).toBe(403);
    // b has no member budget, but the project's 150 has 30 used by a.
    const p = await hold(tm.teamId, b, 121, tm.project);
    expect(p.statusCode).toBe(403);
    expect(p.json().error.details).toMatchObject({ scope: 'project', limit: 150, used: 30 });
    expect((await hold(tm.teamId, b, 120, tm.project)).statusCode).toBe(201);
    const view = await detail(tm.teamId, tm.owner);
    expect(view.members.find((x) => x.accountId === a.accountId)?.budget).toEqual({
      monthly: 100,
      used: 100,
    });
    expect(view.projects[0]?.budget).toEqual({ monthly: 150, used: 150 });
    // Each budget change is a signed entry on the team chain.
    const budgets = (await pull(tm.teamId, a)).entries
      .map((e) => EntryBody.parse(JSON.parse(e.body)))
      .filter((e) => e.type === 'budget');
    expect(budgets).toEqual([
      expect.objectContaining({
        scope: 'member',
        subjectId: a.accountId,
        monthly: 100,
        setBy: tm.owner.accountId,
      }),
      expect.objectContaining({ scope: 'project', subjectId: tm.project, monthly: 150 }),
    ]);
    // A new month starts from nothing.
    t.clock.set('2026-12-01T00:00:01.000Z');
    expect((await hold(tm.teamId, a, 100, tm.project)).statusCode).toBe(201);
    t.clock.set('2026-11-10T09:00:00.000Z');
  });

  it('an expired hold gives its budget back', async () => {
    const tm = await team(1000, 1);
    const m = tm.members[0]!;
    await setBudget(tm.teamId, tm.owner, 'member', m.accountId, 50);
    expect((await hold(tm.teamId, m, 50)).statusCode).toBe(201);
    expect((await hold(tm.teamId, m, 10)).statusCode).toBe(403);
    t.clock.advance(16 * MINUTE);
    await t.services.ledger.sweep();
    expect((await hold(tm.teamId, m, 50)).statusCode).toBe(201);
    t.clock.set('2026-11-10T09:00:00.000Z');
  });

  it('members cannot change budgets or roles, invite, or add projects; admins cannot make owners', async () => {
    const tm = await team(1000, 2);
    const [m, admin] = tm.members as [User, User];
    const promote = await post(
      `/v1/teams/${tm.teamId}/members/${admin.accountId}/role`,
      tm.owner.headers,
      { role: 'admin' },
    );
    expect(promote.statusCode).toBe(200);
    const seqBefore = (await pull(tm.teamId, m)).headSeq;
    for (const res of [
      await setBudget(tm.teamId, m, 'member', m.accountId, 1_000_000),
      await post(`/v1/teams/${tm.teamId}/members/${m.accountId}/role`, m.headers, {
        role: 'owner',
      }),
      await post(`/v1/teams/${tm.teamId}/invites`, m.headers, { email: 'friend@example.com' }),
      await post(`/v1/teams/${tm.teamId}/projects`, m.headers, { name: 'Mine' }),
      await post(`/v1/teams/${tm.teamId}/members/${admin.accountId}/remove`, m.headers, {
        operationId: opId('rm'),
      }),
      await post(`/v1/teams/${tm.teamId}/members/${m.accountId}/role`, admin.headers, {
        role: 'owner',
      }),
      await post(`/v1/teams/${tm.teamId}/members/${tm.owner.accountId}/role`, admin.headers, {
        role: 'member',
      }),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('team-role');
    }
    expect((await pull(tm.teamId, m)).headSeq).toBe(seqBefore);
    expect((await detail(tm.teamId, m)).members.map((x) => x.role).sort()).toEqual([
      'admin',
      'member',
      'owner',
    ]);
    // An admin may set budgets; the last owner cannot step down.
    expect((await setBudget(tm.teamId, admin, 'member', m.accountId, 10)).statusCode).toBe(200);
    const last = await post(
      `/v1/teams/${tm.teamId}/members/${tm.owner.accountId}/role`,
      tm.owner.headers,
      { role: 'member' },
    );
    expect(last.statusCode).toBe(409);
  });

  it("an owner's budget is the owners' alone: an admin may neither set nor clear it", async () => {
    const tm = await team(1000, 3);
    const [admin, otherAdmin, m] = tm.members as [User, User, User];
    for (const u of [admin, otherAdmin])
      expect(
        (
          await post(`/v1/teams/${tm.teamId}/members/${u.accountId}/role`, tm.owner.headers, {
            role: 'admin',
          })
        ).statusCode,
      ).toBe(200);
    const budgetOf = async (id: string) =>
      (await detail(tm.teamId, tm.owner)).members.find((x) => x.accountId === id)?.budget.monthly;
    // Owners set anyone's, their own included.
    expect(
      (await setBudget(tm.teamId, tm.owner, 'member', tm.owner.accountId, 300)).statusCode,
    ).toBe(200);
    const seqBefore = (await pull(tm.teamId, tm.owner)).headSeq;
    for (const monthly of [1_000_000, 1, null]) {
      const res = await setBudget(tm.teamId, admin, 'member', tm.owner.accountId, monthly);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('team-role');
    }
    expect((await pull(tm.teamId, tm.owner)).headSeq).toBe(seqBefore);
    expect(await budgetOf(tm.owner.accountId)).toBe(300);
    // Admins still set the budgets of admins (their own too) and members.
    for (const u of [otherAdmin, admin, m])
      expect((await setBudget(tm.teamId, admin, 'member', u.accountId, 50)).statusCode).toBe(200);
    expect((await setBudget(tm.teamId, tm.owner, 'member', admin.accountId, null)).statusCode).toBe(
      200,
    );
    expect(
      (await setBudget(tm.teamId, tm.owner, 'member', tm.owner.accountId, null)).statusCode,
    ).toBe(200);
    expect(await budgetOf(tm.owner.accountId)).toBeNull();
    expect(await budgetOf(admin.accountId)).toBeNull();
  });

  it('no access across teams: another team, its chain, holds and members answer 404', async () => {
    const a = await team(1000, 1);
    const b = await team(1000, 1);
    const ma = a.members[0]!;
    const mb = b.members[0]!;
    const hb = (await hold(b.teamId, mb, 10, b.project)).json().holdId;
    const foreign = [
      await get(`/v1/teams/${b.teamId}`, ma.headers),
      await get(`/v1/teams/${b.teamId}/ledger/entries`, ma.headers),
      await get(`/v1/teams/${b.teamId}/balance`, ma.headers),
      await get(`/v1/teams/${b.teamId}/report`, ma.headers),
      await hold(b.teamId, ma, 10),
      await capture(b.teamId, ma, hb, 10),
      await setBudget(b.teamId, a.owner, 'member', mb.accountId, 1),
      await post(`/v1/teams/${b.teamId}/invites`, a.owner.headers, { email: ma.email }),
      await post(`/v1/teams/${b.teamId}/members/${mb.accountId}/remove`, a.owner.headers, {
        operationId: opId('rm'),
      }),
    ];
    for (const res of foreign) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.message).toBe('team not found');
    }
    // A hold of team B named on team A's wallet, or a project of B on A: not found either.
    expect((await capture(a.teamId, ma, hb, 10)).statusCode).toBe(404);
    expect((await hold(a.teamId, ma, 10, b.project)).statusCode).toBe(404);
    // Another member's hold on the same team is not theirs to capture.
    const second = await signUp(t.app);
    const tok = (
      await post(`/v1/teams/${b.teamId}/invites`, b.owner.headers, { email: second.email })
    ).json().token;
    await post('/v1/team-invites/accept', second.headers, { token: tok });
    expect((await capture(b.teamId, second, hb, 10)).statusCode).toBe(404);
    // The personal hold API cannot reach the team wallet's holds.
    const personal = await post(`/v1/ledger/holds/${hb}/capture`, mb.headers, {
      operationId: opId('cap'),
      amount: 10,
    });
    expect(personal.statusCode).toBe(404);
    expect((await capture(b.teamId, mb, hb, 10)).statusCode).toBe(200);
  });

  it('removal releases open holds, returns allowances, and ends access; budgets come back', async () => {
    const tm = await team(1000, 1);
    const m = tm.members[0]!;
    await setBudget(tm.teamId, tm.owner, 'member', m.accountId, 300);
    const keys = generateKeyPair();
    const device = (
      await post('/v1/devices', m.headers, { name: 'laptop', publicKey: keys.publicKey })
    ).json();
    const allowance = await post(`/v1/teams/${tm.teamId}/allowances`, m.headers, {
      operationId: opId('al'),
      deviceId: device.deviceId,
      amount: 500,
    });
    expect(allowance.statusCode).toBe(201);
    // Cut to what the member's budget leaves.
    expect(allowance.json().amount).toBe(300);
    expect((await hold(tm.teamId, m, 1)).statusCode).toBe(403);
    await setBudget(tm.teamId, tm.owner, 'member', m.accountId, 400);
    expect((await hold(tm.teamId, m, 60, tm.project)).statusCode).toBe(201);
    const balance = async () =>
      (await get(`/v1/teams/${tm.teamId}/balance`, tm.owner.headers)).json().balances.image;
    expect(await balance()).toMatchObject({
      balance: 1000,
      held: 60,
      reserved: 300,
      available: 640,
    });
    const removed = await post(
      `/v1/teams/${tm.teamId}/members/${m.accountId}/remove`,
      tm.owner.headers,
      { operationId: opId('rm') },
    );
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ holdsReleased: 1, allowancesReturned: 1 });
    expect(await balance()).toMatchObject({ balance: 1000, held: 0, reserved: 0, available: 1000 });
    for (const res of [
      await get(`/v1/teams/${tm.teamId}`, m.headers),
      await get(`/v1/teams/${tm.teamId}/ledger/entries`, m.headers),
      await hold(tm.teamId, m, 1),
    ])
      expect(res.statusCode).toBe(404);
    expect((await get('/v1/teams', m.headers)).json().teams).toEqual([]);
    const page = await pull(tm.teamId, tm.owner);
    expect(
      verifyChain(page.entries, page.checkpoint, testServerKeys, { accountId: tm.accountId }).ok,
    ).toBe(true);
    const last = page.entries.slice(-2).map((e) => EntryBody.parse(JSON.parse(e.body)));
    expect(last.map((e) => e.type).sort()).toEqual(['release', 'unreserve']);
    for (const e of last) expect(e).toMatchObject({ team: { memberId: tm.owner.accountId } });
  });

  it('bad input changes nothing: unknown project, bad budget, bad role, over-long name', async () => {
    const tm = await team(100, 1);
    const m = tm.members[0]!;
    const before = (await pull(tm.teamId, m)).headSeq;
    expect((await hold(tm.teamId, m, 10, 'prj_nope')).statusCode).toBe(404);
    expect((await hold(tm.teamId, m, 101)).statusCode).toBe(402);
    expect((await setBudget(tm.teamId, tm.owner, 'member', m.accountId, 0)).statusCode).toBe(400);
    expect((await setBudget(tm.teamId, tm.owner, 'project', 'prj_nope', 5)).statusCode).toBe(404);
    expect((await setBudget(tm.teamId, tm.owner, 'member', 'acct_nope', 5)).statusCode).toBe(404);
    expect(
      (
        await post(`/v1/teams/${tm.teamId}/members/${m.accountId}/role`, tm.owner.headers, {
          role: 'boss',
        })
      ).statusCode,
    ).toBe(400);
    expect((await post('/v1/teams', m.headers, { name: 'x'.repeat(81) })).statusCode).toBe(400);
    expect((await pull(tm.teamId, m)).headSeq).toBe(before);
  });
});
