import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullResponse } from '../../shared/api/ledger';
import { TeamDetail } from '../../shared/api/teams';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';
import { type User, teamFixture } from '../testing/team-fixture';

type Headers = Record<string, string>;

// docs/architecture.md §14: online, a design on a team wallet is a hold and its capture in one
// team write, tagged with the member and project, within their budgets; the design is the
// member's.
describe.each(backends)('online team redemption of designs on %s', (backend) => {
  let t: TestServer;
  let design: { designId: string; credits: number };
  let version = 0;
  beforeAll(async () => {
    t = await testServer(backend, { start: '2026-11-10T09:00:00.000Z' });
    const u = await signUp(t.app);
    const { designs } = (await get('/v1/designs', u.headers)).json<{
      designs: Array<{ designId: string; credits: number }>;
    }>();
    design = designs.find((d) => d.credits > 0 && d.credits <= 200)!;
    version = (await t.services.catalog.priceBook()).book.version;
  });
  afterAll(async () => t.close());

  const post = (url: string, headers: Headers, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const get = (url: string, headers: Headers) => t.app.inject({ method: 'GET', url, headers });

  const team = async () => {
    const tm = await teamFixture(t.app, t.services.ledger, {
      name: 'Design desk',
      credits: 1000,
      project: 'Posters',
    });
    return { ...tm, member: tm.members[0] as User };
  };
  type Team = Awaited<ReturnType<typeof team>>;

  const redeem = (tm: Team, u: User, projectId: string | null, operationId = opId()) =>
    post(`/v1/teams/${tm.teamId}/designs/${design.designId}/redeem`, u.headers, {
      operationId,
      expectedCredits: design.credits,
      priceBookVersion: version,
      projectId,
    });
  const teamEntries = async (tm: Team) => {
    const res = await get(
      `/v1/teams/${tm.teamId}/ledger/entries?after=0&limit=5000`,
      tm.owner.headers,
    );
    return PullResponse.parse(res.json()).entries.map(
      (e) => JSON.parse(e.body) as Record<string, unknown>,
    );
  };
  const owned = async (u: User) =>
    (await get('/v1/designs', u.headers))
      .json<{ designs: Array<{ designId: string; owned: boolean }> }>()
      .designs.find((d) => d.designId === design.designId)?.owned;
  const used = async (tm: Team) => {
    const view = TeamDetail.parse((await get(`/v1/teams/${tm.teamId}`, tm.owner.headers)).json());
    return {
      member: view.members.find((m) => m.accountId === tm.member.accountId)?.budget.used,
      project: view.projects[0]?.budget.used,
    };
  };

  it('holds and captures on the team wallet with the member and project; the design is the member’s', async () => {
    const tm = await team();
    const personal = (await get('/v1/ledger/balance', tm.member.headers)).body;
    const operationId = opId();
    const res = await redeem(tm, tm.member, tm.project, operationId);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ designId: design.designId, credits: design.credits });
    const tag = { memberId: tm.member.accountId, projectId: tm.project };
    const written = (await teamEntries(tm)).filter(
      (e) => e.type === 'hold' || e.type === 'capture',
    );
    expect(written.map((e) => [e.type, e.amount, e.team])).toEqual([
      ['hold', design.credits, tag],
      ['capture', design.credits, tag],
    ]);
    expect(written[0]?.purpose).toMatchObject({ kind: 'design', designId: design.designId });
    expect(await owned(tm.member)).toBe(true);
    expect(await owned(tm.owner)).toBe(false);
    expect(await used(tm)).toEqual({ member: design.credits, project: design.credits });
    // Nothing on the member's own wallet.
    expect((await get('/v1/ledger/balance', tm.member.headers)).body).toBe(personal);
    // The same operation answers the same, and charges nothing more.
    const again = await redeem(tm, tm.member, tm.project, operationId);
    expect(again.json()).toEqual(res.json());
    expect((await teamEntries(tm)).filter((e) => e.type === 'capture')).toHaveLength(1);
    // A new operation for an owned design is refused.
    expect((await redeem(tm, tm.member, tm.project)).json().error.code).toBe('already-owned');
  });

  it('past the project budget it is refused with 403 team-budget and writes nothing', async () => {
    const tm = await team();
    const set = await post(`/v1/teams/${tm.teamId}/budgets`, tm.owner.headers, {
      operationId: opId(),
      scope: 'project',
      subjectId: tm.project,
      monthly: design.credits - 1,
    });
    expect(set.statusCode).toBe(200);
    const before = (await teamEntries(tm)).length;
    const refused = await redeem(tm, tm.member, tm.project);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('team-budget');
    expect((await teamEntries(tm)).length).toBe(before);
    expect(await owned(tm.member)).toBe(false);
    // Without the project, the member's (unset) budget applies.
    expect((await redeem(tm, tm.member, null)).statusCode).toBe(201);
  });

  it('answers a non-member and another team’s project as not found, writing nothing', async () => {
    const tm = await team();
    const other = await team();
    const stranger = await signUp(t.app);
    const before = (await teamEntries(tm)).length;
    const hidden = await redeem(tm, stranger, null);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().error.message).toMatch(/team/);
    expect((await redeem(tm, tm.member, other.project)).statusCode).toBe(404);
    expect((await teamEntries(tm)).length).toBe(before);
    expect(await owned(tm.member)).toBe(false);
  });
});
