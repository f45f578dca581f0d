import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobs';
import { PullResponse } from '../../shared/api/ledger';
import { TeamDetail, TeamReport } from '../../shared/api/teams';
import { backends, signUp } from '../testing/harness';
import { type OpenaiJobsServer, openaiJobsServer, requests } from '../testing/jobs-fixture';
import { type User, teamFixture } from '../testing/team-fixture';
import { opId, postJob, quoteFor, waitJob } from '../jobs/test-kit';

// docs/architecture.md §14: a disliked team image goes back to the team wallet and to the
// budgets of the month its run was charged in, in the same team write; only the member who ran
// it, or an owner or admin, may refund it.
describe.each(backends)('refunds of team images on %s', (backend) => {
  let s: OpenaiJobsServer;
  beforeAll(async () => {
    s = await openaiJobsServer(backend, { maxQueue: 4, start: '2026-11-10T09:00:00.000Z' });
  });
  afterAll(() => s.close());
  const { post, get } = requests(() => s);

  /** A funded team with an owner, an admin, two members, a project and budgets on both. */
  const team = async () => {
    const { teamId, owner, members, project } = await teamFixture(s.app, s.t.services.ledger, {
      name: 'Studio South',
      members: ['admin', 'member', 'member'],
      project: 'Autumn lookbook',
    });
    const [admin, member, other] = members as [User, User, User];
    for (const [scope, subjectId] of [
      ['member', member.accountId],
      ['project', project],
    ] as const) {
      const set = await post(`/v1/teams/${teamId}/budgets`, owner.headers, {
        operationId: opId(),
        scope,
        subjectId,
        monthly: 100,
      });
      expect(set.statusCode).toBe(200);
    }
    return { teamId, owner, admin, member, other, project };
  };
  type Team = Awaited<ReturnType<typeof team>>;

  const params = {
    mode: 'text-to-image',
    prompt: 'a blue boathouse at dawn',
    model: 'easel-preview',
    width: 64,
    height: 64,
    steps: 10,
    seed: 7,
    count: 1,
  };
  const run = async (tm: Team) => {
    const quote = await quoteFor(s, {
      tool: 'generate',
      mode: 'text-to-image',
      width: 64,
      height: 64,
      steps: 10,
      model: 'easel-preview',
      count: 1,
    });
    const res = await postJob(s, tm.member.headers, {
      operationId: opId(),
      tool: 'generate',
      params,
      quote,
      team: { teamId: tm.teamId, projectId: tm.project },
    });
    expect(res.statusCode).toBe(201);
    const job = await waitJob(s, tm.member.headers, res.json<Job>().jobId);
    expect(job.state).toBe('succeeded');
    const itemId = job.outputs[0]?.itemId ?? '';
    expect(itemId).not.toBe('');
    return { job, itemId, credits: quote.credits };
  };

  /** The budget use of the member and the project, as the team's settings screen shows it. */
  const used = async (tm: Team) => {
    const view = TeamDetail.parse((await get(`/v1/teams/${tm.teamId}`, tm.owner.headers)).json());
    return {
      member: view.members.find((m) => m.accountId === tm.member.accountId)?.budget.used,
      project: view.projects.find((p) => p.projectId === tm.project)?.budget.used,
    };
  };
  const usageIn = async (tm: Team, period: string) =>
    (
      await s.t.db.query<{ scope: string; used: number }>(
        'select scope, used from team_budget_usage where team_id = $1 and period = $2 order by scope',
        [tm.teamId, period],
      )
    ).rows.map((r) => [r.scope, r.used]);
  const entryCount = async (tm: Team) => {
    const res = await get(
      `/v1/teams/${tm.teamId}/ledger/entries?after=0&limit=5000`,
      tm.owner.headers,
    );
    return PullResponse.parse(res.json()).entries.length;
  };
  const dislike = (itemId: string, u: User) =>
    post(`/v1/items/${itemId}/dislike`, u.headers, { operationId: opId() });

  it('a refund gives the credits back to the member and project budgets, in the same write', async () => {
    const tm = await team();
    const { itemId, credits } = await run(tm);
    expect(await used(tm)).toEqual({ member: credits, project: credits });
    const refund = await dislike(itemId, tm.member);
    expect(refund.statusCode).toBe(201);
    const back = refund.json<{ credits: number }>().credits;
    expect(back).toBeGreaterThan(0);
    expect(await used(tm)).toEqual({ member: credits - back, project: credits - back });
    // Once only: a second dislike is refused and lowers nothing more.
    expect((await dislike(itemId, tm.member)).statusCode).toBe(409);
    expect(await used(tm)).toEqual({ member: credits - back, project: credits - back });
  });

  it('only the member who ran it, or an owner or admin, may refund a team image', async () => {
    const tm = await team();
    const first = await run(tm);
    const before = await entryCount(tm);
    const refused = await dislike(first.itemId, tm.other);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('team-role');
    expect(await entryCount(tm)).toBe(before);
    expect(await used(tm)).toEqual({ member: first.credits, project: first.credits });
    // Not a member at all: the team does not exist for them.
    const stranger = await signUp(s.app);
    const hidden = await dislike(first.itemId, stranger);
    expect(hidden.statusCode).toBe(404);
    expect(await entryCount(tm)).toBe(before);

    expect((await dislike(first.itemId, tm.admin)).statusCode).toBe(201);
    const second = await run(tm);
    expect((await dislike(second.itemId, tm.owner)).statusCode).toBe(201);
  });

  it('the cost report takes a refunded image off its member and project, and keeps the run', async () => {
    const tm = await team();
    const { itemId, credits } = await run(tm);
    const report = async () => {
      const res = await get(`/v1/teams/${tm.teamId}/report?month=2026-11`, tm.owner.headers);
      expect(res.statusCode).toBe(200);
      const r = TeamReport.parse(res.json());
      return {
        member: r.byMember.find((l) => l.id === tm.member.accountId),
        project: r.byProject.find((l) => l.id === tm.project),
        total: r.total,
      };
    };
    expect(await report()).toMatchObject({
      member: { spent: credits, runs: 1 },
      project: { spent: credits, runs: 1 },
      total: credits,
    });
    const refund = await dislike(itemId, tm.member);
    expect(refund.statusCode).toBe(201);
    const back = refund.json<{ credits: number }>().credits;
    expect(back).toBeGreaterThan(0);
    expect(await report()).toMatchObject({
      member: { spent: credits - back, runs: 1 },
      project: { spent: credits - back, runs: 1 },
      total: credits - back,
    });
  });

  // Runs last: it moves the clock to the end of the month.
  it('a refund made next month lowers the use of the month the run was charged in', async () => {
    const tm = await team();
    s.t.clock.set('2026-11-30T23:30:00.000Z');
    const { itemId, credits } = await run(tm);
    s.t.clock.set('2026-12-01T00:10:00.000Z');
    const december = await run(tm);
    const refund = await dislike(itemId, tm.member);
    expect(refund.statusCode).toBe(201);
    const back = refund.json<{ credits: number }>().credits;
    expect(await usageIn(tm, '2026-11')).toEqual([
      ['member', credits - back],
      ['project', credits - back],
    ]);
    expect(await usageIn(tm, '2026-12')).toEqual([
      ['member', december.credits],
      ['project', december.credits],
    ]);
    expect(await used(tm)).toEqual({ member: december.credits, project: december.credits });
    // The cost report agrees: November's runs less the refund, December's untouched.
    const total = async (month: string) =>
      TeamReport.parse(
        (await get(`/v1/teams/${tm.teamId}/report?month=${month}`, tm.owner.headers)).json(),
      ).byMember.find((l) => l.id === tm.member.accountId);
    expect(await total('2026-11')).toMatchObject({ spent: credits - back, runs: 1 });
    expect(await total('2026-12')).toMatchObject({ spent: december.credits, runs: 1 });
  });
});
