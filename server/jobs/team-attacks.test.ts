import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobs';
import { PullResponse } from '../../shared/api/ledger';
import { TeamSummary } from '../../shared/api/teams';
import { backends, signUp } from '../testing/harness';
import { type StandIn, hang, openaiImages, standIn, withModelList } from './stand-ins';
import {
  type Headers,
  type JobsTestServer,
  getJob,
  jobsTestServer,
  opId,
  postJob,
  quoteFor,
  startJob,
  waitJob,
} from './test-kit';

type User = Awaited<ReturnType<typeof signUp>>;

// docs/architecture.md §14: Teams as a hostile user sees them — another team's things, another
// member's runs, and money that must not come out twice.
describe.each(backends)('Team attacks on %s', (backend) => {
  let s: JobsTestServer;
  let provider: StandIn;

  beforeAll(async () => {
    provider = await standIn(openaiImages);
    s = await jobsTestServer(
      backend,
      {
        generate: { provider: { kind: 'openai', baseUrl: provider.baseUrl, apiKey: 'sk-test' } },
        maxQueue: 8,
      },
      '2026-11-10T09:00:00.000Z',
    );
  });
  afterAll(async () => {
    await s.close();
    await provider.close();
  });
  const post = (url: string, headers: Headers, payload?: unknown, app = s.app) =>
    app.inject({
      method: 'POST',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const get = (url: string, headers: Headers) => s.app.inject({ method: 'GET', url, headers });

  /** A funded team with an owner, two members who joined by invite, and a project. */
  const team = async (name = 'Studio North') => {
    const owner = await signUp(s.app);
    const summary = TeamSummary.parse((await post('/v1/teams', owner.headers, { name })).json());
    await s.t.services.ledger.grant(summary.accountId, {
      operationId: opId('fund'),
      amount: 500,
      source: 'pack',
      reason: 'test',
    });
    const join = async () => {
      const u = await signUp(s.app);
      const invite = await post(`/v1/teams/${summary.teamId}/invites`, owner.headers, {
        email: u.email,
      });
      const token: string = invite.json().token;
      expect((await post('/v1/team-invites/accept', u.headers, { token })).statusCode).toBe(200);
      return { ...u, token };
    };
    const member = await join();
    const mate = await join();
    const project = (
      await post(`/v1/teams/${summary.teamId}/projects`, owner.headers, { name: 'Catalog' })
    ).json<{ projectId: string }>().projectId;
    return { ...summary, owner, member, mate, project };
  };
  const previewParams = () => ({
    mode: 'text-to-image',
    prompt: 'a red lighthouse at sunset',
    model: 'easel-preview',
    width: 64,
    height: 64,
    steps: 10,
    seed: 42,
    count: 1,
  });
  const previewQuote = () =>
    quoteFor(s, {
      tool: 'generate',
      mode: 'text-to-image',
      width: 64,
      height: 64,
      steps: 10,
      model: 'easel-preview',
      count: 1,
    });
  const teamRun = async (u: User, teamId: string, projectId: string | null) =>
    postJob(s, u.headers, {
      operationId: opId(),
      tool: 'generate',
      params: previewParams(),
      quote: await previewQuote(),
      team: { teamId, projectId },
    });
  const teamEntries = async (teamId: string, u: User) => {
    const res = await get(`/v1/teams/${teamId}/ledger/entries?after=0&limit=5000`, u.headers);
    expect(res.statusCode).toBe(200);
    return PullResponse.parse(res.json()).entries.map(
      (e) => JSON.parse(e.body) as Record<string, unknown>,
    );
  };
  const teamBalance = async (teamId: string, u: User) =>
    (await get(`/v1/teams/${teamId}/balance`, u.headers)).json<{
      balances: Record<string, { available: number }>;
    }>();

  it('a teammate cannot refund (dislike) another member’s team image; its maker and an owner at once on two instances refund it once', async () => {
    const tm = await team();
    const made = await teamRun(tm.member, tm.teamId, tm.project);
    expect(made.statusCode).toBe(201);
    const job = await waitJob(s, tm.member.headers, made.json<Job>().jobId);
    expect(job.state).toBe('succeeded');
    const itemId = job.outputs[0]?.itemId;
    expect(itemId).toBeTruthy();
    const before = (await teamEntries(tm.teamId, tm.owner)).length;

    // Another plain member undoes nothing of someone else's run: answered as no such image.
    const byMate = await post(`/v1/items/${itemId}/dislike`, tm.mate.headers, {
      operationId: opId(),
    });
    expect(byMate.statusCode).toBe(404);
    expect(byMate.json().error.message).toMatch(/item not found/);
    expect((await teamEntries(tm.teamId, tm.owner)).length).toBe(before);

    // The maker and an owner at once, through two instances: one refund, one 409.
    const other = await s.another();
    const both = await Promise.all([
      post(`/v1/items/${itemId}/dislike`, tm.member.headers, { operationId: opId() }),
      post(`/v1/items/${itemId}/dislike`, tm.owner.headers, { operationId: opId() }, other.app),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const refunds = (await teamEntries(tm.teamId, tm.owner)).filter((e) => e.type === 'refund');
    expect(refunds).toHaveLength(1);
    // Twice by the maker under a new operation id: still one.
    const again = await post(`/v1/items/${itemId}/dislike`, tm.member.headers, {
      operationId: opId(),
    });
    expect(again.statusCode).toBe(409);
  });

  it('a member of team A reaches nothing of team B, through team routes or personal routes with B’s ids', async () => {
    const a = await team('Alpha');
    const b = await team('Bravo');
    const x = a.owner; // the attacker: A's owner, nobody in B
    // B's things: a finished run (a file, an item), a running run, a plain hold.
    const doneRes = await teamRun(b.member, b.teamId, b.project);
    const done = await waitJob(s, b.member.headers, doneRes.json<Job>().jobId);
    expect(done.state).toBe('succeeded');
    provider.handler = withModelList(hang);
    const running = await startJob(s, b.member.headers, {
      operationId: opId(),
      tool: 'generate',
      params: { ...previewParams(), model: 'standard' },
      quote: await quoteFor(s, {
        tool: 'generate',
        mode: 'text-to-image',
        width: 64,
        height: 64,
        steps: 10,
        model: 'standard',
        count: 1,
      }),
      team: { teamId: b.teamId, projectId: b.project },
    });
    const hold = (
      await post(`/v1/teams/${b.teamId}/holds`, b.member.headers, {
        operationId: opId(),
        amount: 5,
        purpose: { kind: 'job', jobId: 'job_plain', tool: 'generate' },
        projectId: b.project,
      })
    ).json<{ holdId: string }>().holdId;
    const bEntries = (await teamEntries(b.teamId, b.owner)).length;
    const aEntries = (await teamEntries(a.teamId, a.owner)).length;
    const bBalance = await teamBalance(b.teamId, b.owner);

    const reads = [
      `/v1/teams/${b.teamId}`,
      `/v1/teams/${b.teamId}/jobs`,
      `/v1/teams/${b.teamId}/ledger/entries?after=0`,
      `/v1/teams/${b.teamId}/balance`,
      `/v1/teams/${b.teamId}/report`,
      `/v1/teams/${a.teamId}/jobs?before=${done.jobId}`,
      `/v1/jobs/${done.jobId}`,
      `/v1/jobs/${running.jobId}`,
      done.outputs[0]!.url,
    ];
    for (const url of reads) {
      const res = await get(url, x.headers);
      // A's own list with B's cursor is A's list: empty, never B's runs.
      if (url.includes('before=')) expect(res.json().jobs).toEqual([]);
      else expect([url, res.statusCode]).toEqual([url, 404]);
    }
    const writes: Array<[string, unknown]> = [
      [
        `/v1/teams/${b.teamId}/holds`,
        {
          operationId: opId(),
          amount: 1,
          purpose: { kind: 'job', jobId: 'job_x', tool: 'generate' },
        },
      ],
      [`/v1/teams/${b.teamId}/holds/${hold}/capture`, { operationId: opId(), amount: 5 }],
      [`/v1/teams/${b.teamId}/holds/${hold}/release`, { operationId: opId(), reason: 'released' }],
      [`/v1/teams/${a.teamId}/holds/${hold}/release`, { operationId: opId(), reason: 'released' }],
      [`/v1/holds/${hold}/release`, { operationId: opId(), reason: 'released' }],
      [`/v1/holds/${hold}/capture`, { operationId: opId(), amount: 5 }],
      [
        `/v1/teams/${b.teamId}/budgets`,
        { operationId: opId(), scope: 'project', subjectId: b.project, monthly: 1 },
      ],
      [
        `/v1/teams/${a.teamId}/budgets`,
        { operationId: opId(), scope: 'project', subjectId: b.project, monthly: 1 },
      ],
      [`/v1/teams/${b.teamId}/invites`, { email: 'x@example.com' }],
      [`/v1/teams/${b.teamId}/projects`, { name: 'Mine now' }],
      [`/v1/teams/${b.teamId}/members/${x.accountId}/role`, { role: 'owner' }],
      [`/v1/teams/${b.teamId}/members/${b.member.accountId}/remove`, { operationId: opId() }],
      [
        `/v1/teams/${b.teamId}/allowances`,
        { operationId: opId(), deviceId: 'dev_x', devicePublicKey: 'x', amount: 5 },
      ],
      [`/v1/teams/${b.teamId}/allowances/${hold}/return`, { operationId: opId() }],
      [`/v1/teams/${b.teamId}/purchases/checkout`, { sku: 'pack-small' }],
      [`/v1/items/${done.outputs[0]!.itemId}/dislike`, { operationId: opId() }],
      [`/v1/jobs/${running.jobId}/cancel`, undefined],
    ];
    for (const [url, body] of writes) {
      const res = await post(url, x.headers, body);
      // 404 (no such team, hold, job, project) or 400 for a body that is not even valid.
      expect([url, res.statusCode === 404 || res.statusCode === 400]).toEqual([url, true]);
    }
    // A run on A's wallet for B's project.
    const crossProject = await teamRun(x, a.teamId, b.project);
    expect(crossProject.statusCode).toBe(404);
    expect(crossProject.json().error.message).toMatch(/project not found/);

    // Nothing of B changed, nothing was written on A.
    expect((await teamEntries(b.teamId, b.owner)).length).toBe(bEntries);
    expect((await teamEntries(a.teamId, a.owner)).length).toBe(aEntries);
    expect(await teamBalance(b.teamId, b.owner)).toEqual(bBalance);
    expect((await getJob(s, b.member.headers, running.jobId)).json<Job>().state).toBe('running');
    await post(`/v1/jobs/${running.jobId}/cancel`, b.member.headers);
    provider.handler = openaiImages;
  });
});
