import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobs';
import { PullResponse } from '../../shared/api/ledger';
import { TeamDetail } from '../../shared/api/teams';
import { gradientPng } from '../engines/test-images';
import { backends, signUp } from '../testing/harness';
import {
  type OpenaiJobsServer,
  openaiJobsServer,
  requests,
  smallRun,
  smallRunQuote,
} from '../testing/jobs-fixture';
import { type User, teamFixture } from '../testing/team-fixture';
import { gated, hang, openaiImages, withModelList } from './stand-ins';
import {
  balance,
  entries,
  getJob,
  inState,
  opId,
  postJob,
  quoteFor,
  startJob,
  uploadId,
  waitJob,
} from './test-kit';

// docs/architecture.md §8, §14: a Studio run on a team wallet holds, captures and releases on
// the team's account with the member and project in each entry, within their monthly budgets;
// its files are the team's, for current members only.
describe.each(backends)('Studio runs on a team wallet on %s', (backend) => {
  let s: OpenaiJobsServer;
  beforeAll(async () => {
    s = await openaiJobsServer(backend, { maxQueue: 4, start: '2026-11-10T09:00:00.000Z' });
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.provider.handler = openaiImages;
  });
  const { post, get } = requests(() => s);

  /** A team (owner + one member who joined by invite), funded with `credits`, and a project. */
  const team = async (credits = 500) => {
    const tm = await teamFixture(s.app, s.t.services.ledger, { credits });
    return { ...tm, member: tm.members[0] as User };
  };

  const previewParams = (count = 1) => smallRun(count);
  const previewQuote = (count = 1) => smallRunQuote(s, count);
  const standardQuote = () => smallRunQuote(s, 1, 'standard');
  const teamRun = async (
    u: User,
    teamId: string | null,
    projectId: string | null,
    count = 1,
    operationId = opId(),
  ) =>
    postJob(s, u.headers, {
      operationId,
      tool: 'generate',
      params: previewParams(count),
      quote: await previewQuote(count),
      ...(teamId === null ? {} : { team: { teamId, projectId } }),
    });

  const teamEntries = async (teamId: string, u: User) => {
    const res = await get(`/v1/teams/${teamId}/ledger/entries?after=0&limit=5000`, u.headers);
    expect(res.statusCode).toBe(200);
    return PullResponse.parse(res.json()).entries.map(
      (e) => JSON.parse(e.body) as Record<string, unknown>,
    );
  };
  const charges = async (teamId: string) =>
    (
      await s.t.db.query<{ ref_id: string; charged: number; open: boolean; project_id: string }>(
        'select ref_id, charged, open, project_id from team_charges where team_id = $1 order by ref_id',
        [teamId],
      )
    ).rows;
  const detail = async (teamId: string, u: User) =>
    TeamDetail.parse((await get(`/v1/teams/${teamId}`, u.headers)).json());
  const jobRows = async (accountId: string) =>
    (
      await s.t.db.query<{ n: number }>(
        'select count(*)::int as n from jobs where account_id = $1',
        [accountId],
      )
    ).rows[0]?.n;

  it('charges the team wallet with the member and project, captures there and closes the charge at what was captured', async () => {
    const tm = await team();
    const personalBefore = await balance(s, tm.member.headers);
    const res = await teamRun(tm.member, tm.teamId, tm.project, 2);
    expect(res.statusCode).toBe(201);
    const queued: Job = res.json();
    // The price is the personal one: the quote does not change with the wallet.
    expect(queued.quote).toEqual(await previewQuote(2));
    expect(queued.team).toEqual({
      teamId: tm.teamId,
      projectId: tm.project,
      memberId: tm.member.accountId,
    });
    const job = await waitJob(s, tm.member.headers, queued.jobId);
    expect(job).toMatchObject({ state: 'succeeded', charged: queued.quote.credits });

    const tag = { memberId: tm.member.accountId, projectId: tm.project };
    const onTeam = (await teamEntries(tm.teamId, tm.owner)).filter((e) => e.holdId === job.holdId);
    expect(onTeam.map((e) => [e.type, e.amount, e.team])).toEqual([
      ['hold', queued.quote.credits, tag],
      ['capture', queued.quote.credits, tag],
    ]);
    // Nothing on the member's own wallet.
    expect((await entries(s, tm.member.headers)).some((e) => e.holdId === job.holdId)).toBe(false);
    expect(await balance(s, tm.member.headers)).toEqual(personalBefore);
    expect(await charges(tm.teamId)).toEqual([
      { ref_id: job.holdId, charged: queued.quote.credits, open: false, project_id: tm.project },
    ]);
    const view = await detail(tm.teamId, tm.owner);
    expect(view.projects[0]?.budget.used).toBe(queued.quote.credits);
    expect(view.members.find((m) => m.accountId === tm.member.accountId)?.budget.used).toBe(
      queued.quote.credits,
    );

    // A disliked image is refunded to the team's wallet, which paid for it.
    const itemId = job.outputs[0]?.itemId;
    expect(itemId).toBeTruthy();
    const refund = await post(`/v1/items/${itemId}/dislike`, tm.member.headers, {
      operationId: opId(),
    });
    expect(refund.statusCode).toBe(201);
    expect((await teamEntries(tm.teamId, tm.owner)).at(-1)).toMatchObject({
      type: 'refund',
      itemId,
      paidBy: job.holdId,
    });
    expect(await balance(s, tm.member.headers)).toEqual(personalBefore);

    // The job's hold is the job's: the team hold API refuses to settle it.
    s.provider.handler = withModelList(hang);
    const running = await startJob(s, tm.member.headers, {
      operationId: opId(),
      tool: 'generate',
      params: { ...previewParams(), model: 'standard' },
      quote: await standardQuote(),
      team: { teamId: tm.teamId, projectId: null },
    });
    for (const action of ['release', 'capture'] as const) {
      const settle = await post(
        `/v1/teams/${tm.teamId}/holds/${running.holdId}/${action}`,
        tm.member.headers,
        { operationId: opId(), ...(action === 'release' ? { reason: 'released' } : { amount: 1 }) },
      );
      expect(settle.statusCode).toBe(409);
      expect(settle.json().error.code).toBe('hold-belongs-to-job');
    }
    await post(`/v1/jobs/${running.jobId}/cancel`, tm.member.headers);
  });

  it('a cancelled team run is released on the team wallet and its charge closed at 0', async () => {
    const tm = await team();
    s.provider.handler = withModelList(hang);
    const q = await standardQuote();
    const job = await startJob(s, tm.member.headers, {
      operationId: opId(),
      tool: 'generate',
      params: { ...previewParams(), model: 'standard' },
      quote: q,
      team: { teamId: tm.teamId, projectId: tm.project },
    });
    await waitJob(s, tm.member.headers, job.jobId, inState('running'));
    expect((await detail(tm.teamId, tm.owner)).projects[0]?.budget.used).toBe(q.credits);
    const cancelled = await post(`/v1/jobs/${job.jobId}/cancel`, tm.member.headers);
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', charged: 0 });
    const last = (await teamEntries(tm.teamId, tm.owner)).at(-1);
    expect(last).toMatchObject({
      type: 'release',
      holdId: job.holdId,
      reason: 'cancelled',
      team: { memberId: tm.member.accountId, projectId: tm.project },
    });
    expect(await charges(tm.teamId)).toEqual([
      { ref_id: job.holdId, charged: 0, open: false, project_id: tm.project },
    ]);
    expect((await detail(tm.teamId, tm.owner)).projects[0]?.budget.used).toBe(0);
  });

  it('removing a member releases their running team run on the team wallet; it ends charging nothing', async () => {
    const tm = await team();
    const gate = gated(openaiImages);
    s.provider.handler = withModelList(gate.handler);
    const job = await startJob(s, tm.member.headers, {
      operationId: opId(),
      tool: 'generate',
      params: { ...previewParams(), model: 'standard' },
      quote: await standardQuote(),
      team: { teamId: tm.teamId, projectId: tm.project },
    });
    await waitJob(s, tm.member.headers, job.jobId, inState('running'));
    const removed = await post(
      `/v1/teams/${tm.teamId}/members/${tm.member.accountId}/remove`,
      tm.owner.headers,
      { operationId: opId() },
    );
    expect(removed.json()).toMatchObject({ holdsReleased: 1 });
    gate.open();
    const ended = await waitJob(s, tm.owner.headers, job.jobId);
    expect(ended).toMatchObject({
      state: 'failed',
      charged: 0,
      outputs: [],
      error: { code: 'team-hold-released' },
    });
    expect(await charges(tm.teamId)).toEqual([
      { ref_id: job.holdId, charged: 0, open: false, project_id: tm.project },
    ]);
    const onTeam = (await teamEntries(tm.teamId, tm.owner)).filter((e) => e.holdId === job.holdId);
    expect(onTeam.map((e) => e.type)).toEqual(['hold', 'release']);
  });

  it('a run past the member or project budget is refused with 403 team-budget and writes nothing', async () => {
    const tm = await team();
    const price = (await previewQuote(2)).credits;
    const budget = await post(`/v1/teams/${tm.teamId}/budgets`, tm.owner.headers, {
      operationId: opId(),
      scope: 'project',
      subjectId: tm.project,
      monthly: price - 1,
    });
    expect(budget.statusCode).toBe(200);
    const entriesBefore = (await teamEntries(tm.teamId, tm.owner)).length;
    const refused = await teamRun(tm.member, tm.teamId, tm.project, 2);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({
      code: 'team-budget',
      details: {
        scope: 'project',
        limit: price - 1,
        used: 0,
        requested: price,
        resetsAt: '2026-12-01T00:00:00.000Z',
      },
    });
    expect((await teamEntries(tm.teamId, tm.owner)).length).toBe(entriesBefore);
    expect(await charges(tm.teamId)).toEqual([]);
    expect(await jobRows(tm.member.accountId)).toBe(0);
    // Without the project, the member's own (unset) budget applies: it runs.
    const free = await teamRun(tm.member, tm.teamId, null, 2);
    expect(free.statusCode).toBe(201);
    await waitJob(s, tm.member.headers, free.json<Job>().jobId);
  });

  it('a non-member, an unknown project and a malformed one are refused and write nothing', async () => {
    const tm = await team();
    const outsider = await signUp(s.app);
    const before = (await teamEntries(tm.teamId, tm.owner)).length;
    const stranger = await teamRun(outsider, tm.teamId, tm.project);
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json().error.message).toMatch(/team not found/);
    const unknown = await teamRun(tm.member, tm.teamId, 'proj_does_not_exist');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toMatch(/project not found/);
    const malformed = await teamRun(tm.member, tm.teamId, 'no spaces allowed here');
    expect(malformed.statusCode).toBe(400);
    expect((await teamEntries(tm.teamId, tm.owner)).length).toBe(before);
    expect(await jobRows(outsider.accountId)).toBe(0);
    expect(await jobRows(tm.member.accountId)).toBe(0);
    expect(await charges(tm.teamId)).toEqual([]);
  });

  it('team files: every member sees them, outsiders get 404, a removed member loses them (their own included), personal runs stay private', async () => {
    const tm = await team();
    const outsider = await signUp(s.app);
    // A team filter run on the member's upload (its input becomes the team's to see too) ...
    const up = await uploadId(s, tm.member.headers, await gradientPng(64, 48));
    const upSha = (
      await s.t.db.query<{ sha256: string }>('select sha256 from uploads where id = $1', [
        up.uploadId,
      ])
    ).rows[0]!.sha256;
    const filtered = await startJob(s, tm.member.headers, {
      operationId: opId(),
      tool: 'filter',
      params: { uploadId: up.uploadId, preset: 'vivid', strength: 50 },
      quote: await quoteFor(s, {
        tool: 'filter',
        preset: 'vivid',
        width: up.width,
        height: up.height,
      }),
      team: { teamId: tm.teamId, projectId: tm.project },
    });
    const teamJob = await waitJob(s, tm.member.headers, filtered.jobId);
    expect(teamJob.state).toBe('succeeded');
    // ... and a personal run by the same member.
    const personalRes = await teamRun(tm.member, null, null);
    const personal = await waitJob(s, tm.member.headers, personalRes.json<Job>().jobId);
    expect(personal.state).toBe('succeeded');
    const teamFile = teamJob.outputs[0]!.url;
    const personalFile = personal.outputs[0]!.url;

    // The owner sees the team's run, its output and its input; never the member's personal run.
    const listed = await get(`/v1/teams/${tm.teamId}/jobs`, tm.owner.headers);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().jobs.map((j: Job) => j.jobId)).toEqual([teamJob.jobId]);
    expect(listed.json().jobs[0].team).toEqual({
      teamId: tm.teamId,
      projectId: tm.project,
      memberId: tm.member.accountId,
    });
    expect((await getJob(s, tm.owner.headers, teamJob.jobId)).statusCode).toBe(200);
    expect((await get(teamFile, tm.owner.headers)).statusCode).toBe(200);
    expect((await get(`/v1/files/${upSha}`, tm.owner.headers)).statusCode).toBe(200);
    expect((await getJob(s, tm.owner.headers, personal.jobId)).statusCode).toBe(404);
    expect((await get(personalFile, tm.owner.headers)).statusCode).toBe(404);
    // Teammates act only on their own runs.
    expect((await post(`/v1/jobs/${teamJob.jobId}/cancel`, tm.owner.headers)).statusCode).toBe(404);
    // The member's personal list is personal; the team's run is in the team's list.
    const mine = await get('/v1/jobs', tm.member.headers);
    expect(mine.json().jobs.map((j: Job) => j.jobId)).toEqual([personal.jobId]);

    // An outsider: 404 everywhere, exactly as if none of it existed.
    const nothere = await get(`/v1/teams/${tm.teamId}/jobs`, outsider.headers);
    expect(nothere.statusCode).toBe(404);
    expect(nothere.json().error.message).toBe(
      (await get(`/v1/teams/team_nope/jobs`, outsider.headers)).json().error.message,
    );
    expect((await getJob(s, outsider.headers, teamJob.jobId)).statusCode).toBe(404);
    expect((await get(teamFile, outsider.headers)).statusCode).toBe(404);
    expect((await get(`/v1/files/${upSha}`, outsider.headers)).statusCode).toBe(404);

    // The member leaves: the team's files are gone for them, their own team run included.
    const left = await post(
      `/v1/teams/${tm.teamId}/members/${tm.member.accountId}/remove`,
      tm.owner.headers,
      { operationId: opId() },
    );
    expect(left.statusCode).toBe(200);
    expect((await get(`/v1/teams/${tm.teamId}/jobs`, tm.member.headers)).statusCode).toBe(404);
    expect((await getJob(s, tm.member.headers, teamJob.jobId)).statusCode).toBe(404);
    expect((await get(teamFile, tm.member.headers)).statusCode).toBe(404);
    // Their personal run and their own upload stay theirs; the team keeps its files.
    expect((await get(personalFile, tm.member.headers)).statusCode).toBe(200);
    expect((await get(`/v1/files/${upSha}`, tm.member.headers)).statusCode).toBe(200);
    expect((await get(teamFile, tm.owner.headers)).statusCode).toBe(200);
    // And they can no longer run on the team's wallet.
    expect((await teamRun(tm.member, tm.teamId, tm.project)).statusCode).toBe(404);
  });
});
