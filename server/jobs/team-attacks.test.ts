import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobs';
import { PullResponse } from '../../shared/api/ledger';
import { backends } from '../testing/harness';
import {
  type OpenaiJobsServer,
  openaiJobsServer,
  requests,
  smallRun,
  smallRunQuote,
} from '../testing/jobs-fixture';
import { type Joined, type User, teamFixture } from '../testing/team-fixture';
import { gated, hang, openaiImages, withModelList } from './stand-ins';
import { getJob, inState, opId, postJob, quoteFor, startJob, waitJob } from './test-kit';

// docs/architecture.md §14: Teams as a hostile user sees them — another team's things, another
// member's runs, and money that must not come out twice.
describe.each(backends)('Team attacks on %s', (backend) => {
  let s: OpenaiJobsServer;
  beforeAll(async () => {
    s = await openaiJobsServer(backend, { maxQueue: 8, start: '2026-11-10T09:00:00.000Z' });
  });
  afterAll(() => s.close());
  const { post, get } = requests(() => s);

  /** A funded team with an owner, two members who joined by invite, and a project. */
  const team = async (name = 'Studio North') => {
    const tm = await teamFixture(s.app, s.t.services.ledger, {
      name,
      members: ['member', 'member'],
      project: 'Catalog',
    });
    const [member, mate] = tm.members as [Joined, Joined];
    return { ...tm, member, mate };
  };
  const previewParams = () => smallRun();
  const previewQuote = () => smallRunQuote(s);
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

    // Another plain member (who sees the team's images) may not refund someone else's run.
    const byMate = await post(`/v1/items/${itemId}/dislike`, tm.mate.headers, {
      operationId: opId(),
    });
    expect(byMate.statusCode).toBe(403);
    expect(byMate.json().error.code).toBe('team-role');
    expect((await teamEntries(tm.teamId, tm.owner)).length).toBe(before);

    // The maker and an owner at once, through two instances: one refund, one 409.
    // PostgreSQL: a second API instance (its own pool, locks and fold cache); PGlite: one process.
    const other = backend === 'postgres' ? await s.t.anotherInstance() : await s.another();
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
    s.provider.handler = withModelList(hang);
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
    s.provider.handler = openaiImages;
  });
  it('privilege: members and admins cannot act above their role; two owners leaving at once through two instances leave one owner', async () => {
    const tm = await team();
    const m = tm.member;
    const refusedFor = async (u: User, url: string, body: unknown) => {
      const res = await post(url, u.headers, body);
      return [url, res.statusCode];
    };
    const base = `/v1/teams/${tm.teamId}`;
    const memberTries: Array<[string, unknown]> = [
      [
        `${base}/budgets`,
        { operationId: opId(), scope: 'member', subjectId: m.accountId, monthly: 10_000 },
      ],
      [`${base}/members/${m.accountId}/role`, { role: 'admin' }],
      [`${base}/members/${tm.mate.accountId}/role`, { role: 'member' }],
      [`${base}/members/${tm.mate.accountId}/remove`, { operationId: opId() }],
      [`${base}/projects`, { name: 'Side project' }],
      [`${base}/invites`, { email: 'friend@example.com' }],
    ];
    for (const [url, body] of memberTries)
      expect(await refusedFor(m, url, body)).toEqual([url, 403]);
    // An admin: never makes or unmakes an owner, never removes one.
    expect(
      (await post(`${base}/members/${tm.mate.accountId}/role`, tm.owner.headers, { role: 'admin' }))
        .statusCode,
    ).toBe(200);
    const admin = tm.mate;
    for (const [url, body] of [
      [`${base}/members/${admin.accountId}/role`, { role: 'owner' }],
      [`${base}/members/${m.accountId}/role`, { role: 'owner' }],
      [`${base}/members/${tm.owner.accountId}/role`, { role: 'member' }],
      [`${base}/members/${tm.owner.accountId}/remove`, { operationId: opId() }],
    ] as Array<[string, unknown]>)
      expect(await refusedFor(admin, url, body)).toEqual([url, 403]);
    // The last owner cannot leave or step down.
    expect(
      (
        await post(`${base}/members/${tm.owner.accountId}/remove`, tm.owner.headers, {
          operationId: opId(),
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await post(`${base}/members/${tm.owner.accountId}/role`, tm.owner.headers, {
          role: 'admin',
        })
      ).statusCode,
    ).toBe(409);
    // Two owners leave at once through two instances: one stays.
    expect(
      (await post(`${base}/members/${m.accountId}/role`, tm.owner.headers, { role: 'owner' }))
        .statusCode,
    ).toBe(200);
    const other = backend === 'postgres' ? await s.t.anotherInstance() : await s.another();
    const leaving = await Promise.all([
      post(`${base}/members/${tm.owner.accountId}/remove`, tm.owner.headers, {
        operationId: opId(),
      }),
      post(`${base}/members/${m.accountId}/remove`, m.headers, { operationId: opId() }, other.app),
    ]);
    expect(leaving.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const owners = await s.t.db.query<{ n: number }>(
      `select count(*)::int as n from team_members where team_id = $1 and role = 'owner' and removed_at is null`,
      [tm.teamId],
    );
    expect(owners.rows[0]?.n).toBe(1);
    // Two owners demote each other at once: one stays an owner.
    const stayed = leaving[0]!.statusCode === 409 ? tm.owner : m;
    expect(
      (await post(`${base}/members/${admin.accountId}/role`, stayed.headers, { role: 'owner' }))
        .statusCode,
    ).toBe(200);
    const demoting = await Promise.all([
      post(`${base}/members/${admin.accountId}/role`, stayed.headers, { role: 'member' }),
      post(
        `${base}/members/${stayed.accountId}/role`,
        admin.headers,
        { role: 'member' },
        other.app,
      ),
    ]);
    // The second is refused either as no longer an owner (403) or as the last owner (409).
    expect(demoting.map((r) => r.statusCode).sort()).toEqual(expect.arrayContaining([200]));
    expect(demoting.filter((r) => r.statusCode === 403 || r.statusCode === 409)).toHaveLength(1);
    const after = await s.t.db.query<{ n: number }>(
      `select count(*)::int as n from team_members where team_id = $1 and role = 'owner' and removed_at is null`,
      [tm.teamId],
    );
    expect(after.rows[0]?.n).toBe(1);
  });

  it('hostile input is refused with a clear 4xx and writes nothing: amounts, unknown fields, bad JSON, big bodies, NUL bytes, junk ids and tokens', async () => {
    const tm = await team();
    const base = `/v1/teams/${tm.teamId}`;
    const before = (await teamEntries(tm.teamId, tm.owner)).length;
    const bad: Array<[string, unknown]> = [];
    for (const monthly of [-1, 0, 1.5, '10', 10_000_001, 1e300, true, {}])
      bad.push([
        `${base}/budgets`,
        { operationId: opId(), scope: 'project', subjectId: tm.project, monthly },
      ]);
    bad.push([
      `${base}/budgets`,
      { operationId: opId(), scope: 'team', subjectId: tm.project, monthly: 5 },
    ]);
    bad.push([
      `${base}/budgets`,
      { operationId: opId(), scope: 'project', subjectId: tm.project, monthly: 5, extra: 1 },
    ]);
    for (const amount of [-5, 0, 2.5, 1e20, 'NaN', null])
      bad.push([
        `${base}/holds`,
        { operationId: opId(), amount, purpose: { kind: 'job', jobId: 'job_a', tool: 'generate' } },
      ]);
    bad.push([
      `${base}/holds`,
      {
        operationId: opId(),
        amount: 1,
        purpose: { kind: 'job', jobId: 'job_a', tool: 'generate' },
        memberId: tm.mate.accountId,
      },
    ]);
    bad.push(['/v1/teams', { name: 'x'.repeat(81) }]);
    bad.push(['/v1/teams', { name: '   ' }]);
    bad.push(['/v1/teams', { name: 'ok', owner: tm.mate.accountId }]);
    bad.push([`${base}/projects`, { name: 'y'.repeat(81) }]);
    bad.push([`${base}/members/${tm.mate.accountId}/role`, { role: 'superuser' }]);
    bad.push([`${base}/members/${tm.mate.accountId}/remove`, { operationId: opId(), force: true }]);
    bad.push([`${base}/invites`, { email: 'not an address' }]);
    bad.push([`${base}/invites`, { email: 'a@example.com', role: 'owner' }]);
    for (const token of ['', 'short', 'A'.repeat(44), "' or 1=1 --", 'A'.repeat(10_000)])
      bad.push(['/v1/team-invites/preview', { token }]);
    bad.push(['/v1/team-invites/preview', { token: tm.member.token, teamId: tm.teamId }]);
    for (const [url, body] of bad) {
      const res = await post(url, tm.owner.headers, body);
      expect([url, JSON.stringify(body).slice(0, 80), res.statusCode]).toEqual([
        url,
        JSON.stringify(body).slice(0, 80),
        400,
      ]);
      expect(res.json().error.message).toBeTruthy();
    }
    const raw = (url: string, payload: string) =>
      s.app.inject({
        method: 'POST',
        url,
        headers: { ...tm.owner.headers, 'content-type': 'application/json' },
        payload,
      });
    expect((await raw(`${base}/projects`, '{"name": "unterminated')).statusCode).toBe(400);
    expect((await raw(`${base}/projects`, '[]')).statusCode).toBe(400);
    expect(
      (await raw(`${base}/projects`, JSON.stringify({ name: 'z', pad: 'p'.repeat(2_000_000) })))
        .statusCode,
    ).toBe(413);
    // A well-formed token nobody issued: 404, like any unknown invite.
    expect(
      (await post('/v1/team-invites/preview', tm.owner.headers, { token: 'B'.repeat(43) }))
        .statusCode,
    ).toBe(404);
    // SQL-ish names are only names.
    const sqlish = "Robert'); drop table teams; --";
    const made = await post('/v1/teams', tm.owner.headers, { name: sqlish });
    expect(made.statusCode).toBe(201);
    expect(made.json().name).toBe(sqlish);
    expect((await get(base, tm.owner.headers)).statusCode).toBe(200);
    // NUL bytes and junk ids in names and paths: refused or not found, never a server error.
    for (const name of ['a\u0000b', 'tab\u0007bell'])
      expect([
        name,
        (await post('/v1/teams', tm.owner.headers, { name: name })).statusCode,
      ]).toEqual([name, 400]);
    expect(
      (
        await post(`${base}/projects`, tm.owner.headers, {
          name: 'p\u0000q',
        })
      ).statusCode,
    ).toBeLessThan(500);
    // A junk id is a clear 4xx (400 or 414 where the HTTP layer refuses it, else 404), never a 500.
    const clear4xx = (url: string, r: { statusCode: number; json(): { error?: unknown } }) => [
      url.slice(0, 60),
      (r.statusCode >= 400 && r.statusCode < 500) || r.statusCode,
      Boolean(r.json().error),
    ];
    const junk = ['%00', 'team_%00', '%27%20or%201%3D1', 'x'.repeat(5000), '..%2F..%2Fetc'];
    for (const id of junk) {
      for (const url of [
        `/v1/teams/${id}`,
        `/v1/teams/${id}/jobs`,
        `/v1/teams/${id}/balance`,
        `/v1/teams/${id}/report`,
        `/v1/jobs/${id}`,
        `/v1/files/${id}`,
      ])
        expect(clear4xx(url, await get(url, tm.owner.headers))).toEqual([
          url.slice(0, 60),
          true,
          true,
        ]);
      for (const [url, body] of [
        [`${base}/holds/${id}/release`, { operationId: opId(), reason: 'released' }],
        [`${base}/members/${id}/remove`, { operationId: opId() }],
        [`${base}/members/${id}/role`, { role: 'admin' }],
        [`${base}/allowances/${id}/return`, { operationId: opId() }],
        [
          `/v1/teams/${id}/holds`,
          {
            operationId: opId(),
            amount: 1,
            purpose: { kind: 'job', jobId: 'job_a', tool: 'generate' },
          },
        ],
        [`/v1/items/${id}/dislike`, { operationId: opId() }],
        [`/v1/jobs/${id}/cancel`, undefined],
      ] as Array<[string, unknown]>)
        expect(clear4xx(url, await post(url, tm.owner.headers, body))).toEqual([
          url.slice(0, 60),
          true,
          true,
        ]);
    }
    expect((await teamEntries(tm.teamId, tm.owner)).length).toBe(before);
  });
  const plainHold = (
    tm: { teamId: string },
    u: User,
    amount: number,
    projectId: string | null,
    ttlSeconds?: number,
    app = s.app,
  ) =>
    post(
      `/v1/teams/${tm.teamId}/holds`,
      u.headers,
      {
        operationId: opId(),
        amount,
        purpose: { kind: 'job', jobId: 'job_plain', tool: 'generate' },
        projectId,
        ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      },
      app,
    );

  it('a removed member uses nothing of the team: old runs, images, holds, the invite token; joining again starts clean', async () => {
    const tm = await team();
    const m = tm.member;
    const made = await teamRun(m, tm.teamId, tm.project);
    const job = await waitJob(s, m.headers, made.json<Job>().jobId);
    expect(job.state).toBe('succeeded');
    const hold = (await plainHold(tm, m, 7, tm.project)).json<{ holdId: string }>().holdId;
    expect(
      (
        await post(`/v1/teams/${tm.teamId}/members/${m.accountId}/remove`, tm.owner.headers, {
          operationId: opId(),
        })
      ).json(),
    ).toMatchObject({ holdsReleased: 1 });
    const before = (await teamEntries(tm.teamId, tm.owner)).length;
    for (const url of [
      `/v1/jobs/${job.jobId}`,
      job.outputs[0]!.url,
      `/v1/teams/${tm.teamId}`,
      `/v1/teams/${tm.teamId}/report`,
    ])
      expect([url, (await get(url, m.headers)).statusCode]).toEqual([url, 404]);
    for (const [url, body] of [
      [`/v1/items/${job.outputs[0]!.itemId}/dislike`, { operationId: opId() }],
      [`/v1/teams/${tm.teamId}/holds/${hold}/capture`, { operationId: opId(), amount: 7 }],
      [`/v1/teams/${tm.teamId}/holds/${hold}/release`, { operationId: opId(), reason: 'released' }],
      [`/v1/holds/${hold}/capture`, { operationId: opId(), amount: 7 }],
      [`/v1/teams/${tm.teamId}/projects`, { name: 'Still here' }],
    ] as Array<[string, unknown]>)
      expect([url, (await post(url, m.headers, body)).statusCode]).toEqual([url, 404]);
    // The old invite token is spent.
    const reuse = await post('/v1/team-invites/accept', m.headers, { token: m.token });
    expect(reuse.statusCode).toBe(409);
    expect(reuse.json().error.code).toBe('invite-used');
    expect(
      (await post('/v1/team-invites/preview', m.headers, { token: m.token })).json().state,
    ).toBe('used');
    expect((await teamEntries(tm.teamId, tm.owner)).length).toBe(before);
    // Invited again: a member, with the old hold closed for good.
    const invite = await post(`/v1/teams/${tm.teamId}/invites`, tm.owner.headers, {
      email: m.email,
    });
    expect(
      (await post('/v1/team-invites/accept', m.headers, { token: invite.json().token })).json(),
    ).toMatchObject({ role: 'member' });
    const late = await post(`/v1/teams/${tm.teamId}/holds/${hold}/capture`, m.headers, {
      operationId: opId(),
      amount: 7,
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('hold-not-open');
  });

  it('capture and release of one team hold at once through two instances: one wins, the budget is charged once', async () => {
    const tm = await team();
    const other = backend === 'postgres' ? await s.t.anotherInstance() : await s.another();
    expect(
      (
        await post(`/v1/teams/${tm.teamId}/budgets`, tm.owner.headers, {
          operationId: opId(),
          scope: 'member',
          subjectId: tm.member.accountId,
          monthly: 20,
        })
      ).statusCode,
    ).toBe(200);
    for (let i = 0; i < 4; i++) {
      const hold = (await plainHold(tm, tm.member, 5, tm.project)).json<{ holdId: string }>()
        .holdId;
      const [c, r] = await Promise.all([
        post(`/v1/teams/${tm.teamId}/holds/${hold}/capture`, tm.member.headers, {
          operationId: opId(),
          amount: 5,
        }),
        post(
          `/v1/teams/${tm.teamId}/holds/${hold}/release`,
          tm.owner.headers,
          { operationId: opId(), reason: 'released' },
          other.app,
        ),
      ]);
      expect([c.statusCode, r.statusCode].sort()).toEqual([200, 409]);
    }
    const settled = (await teamEntries(tm.teamId, tm.owner)).filter(
      (e) => e.type === 'capture' || e.type === 'release',
    );
    expect(settled).toHaveLength(4);
    const captured = settled.filter((e) => e.type === 'capture').length * 5;
    const detail = (await get(`/v1/teams/${tm.teamId}`, tm.owner.headers)).json<{
      members: Array<{ accountId: string; budget: { used: number } }>;
    }>();
    expect(detail.members.find((x) => x.accountId === tm.member.accountId)?.budget.used).toBe(
      captured,
    );
  });

  it('a team run whose hold is never settled: the hold expires, its budget charge is given back at the next team write, and the late result charges nothing', async () => {
    const tm = await team();
    const m = tm.member;
    const gate = gated(openaiImages);
    s.provider.handler = withModelList(gate.handler);
    const q = await quoteFor(s, {
      tool: 'generate',
      mode: 'text-to-image',
      width: 64,
      height: 64,
      steps: 10,
      model: 'standard',
      count: 1,
    });
    expect(
      (
        await post(`/v1/teams/${tm.teamId}/budgets`, tm.owner.headers, {
          operationId: opId(),
          scope: 'project',
          subjectId: tm.project,
          monthly: q.credits,
        })
      ).statusCode,
    ).toBe(200);
    const job = await startJob(s, m.headers, {
      operationId: opId(),
      tool: 'generate',
      params: { ...previewParams(), model: 'standard' },
      quote: q,
      team: { teamId: tm.teamId, projectId: tm.project },
    });
    await waitJob(s, m.headers, job.jobId, inState('running'));
    // The project's budget is used up by the open hold.
    expect((await plainHold(tm, tm.mate, 1, tm.project)).statusCode).toBe(403);
    s.t.clock.advance(2 * 60 * 60 * 1000);
    // Past the hold's lifetime the project's budget is free again.
    const after = await plainHold(tm, tm.mate, q.credits, tm.project);
    expect(after.statusCode).toBe(201);
    const charge = await s.t.db.query<{ charged: number; open: boolean }>(
      'select charged, open from team_charges where team_id = $1 and ref_id = $2',
      [tm.teamId, job.holdId],
    );
    expect(charge.rows).toEqual([{ charged: 0, open: false }]);
    gate.open();
    const ended = await waitJob(s, m.headers, job.jobId);
    expect(ended).toMatchObject({ state: 'failed', charged: 0, outputs: [] });
    const captures = (await teamEntries(tm.teamId, tm.owner)).filter(
      (e) => e.type === 'capture' && e.holdId === job.holdId,
    );
    expect(captures).toEqual([]);
    s.provider.handler = openaiImages;
  });

  it('cancel racing the result of a team run: each run ends either cancelled with a release or succeeded with a capture, charged once', async () => {
    const tm = await team();
    const q = await quoteFor(s, {
      tool: 'generate',
      mode: 'text-to-image',
      width: 64,
      height: 64,
      steps: 10,
      model: 'standard',
      count: 1,
    });
    const started = [];
    for (let i = 0; i < 3; i++) {
      // One run at a time: the engine's result and the cancel arrive together.
      const gate = gated(openaiImages);
      s.provider.handler = withModelList(gate.handler);
      const j = await startJob(s, tm.member.headers, {
        operationId: opId(),
        tool: 'generate',
        params: { ...previewParams(), model: 'standard', seed: i + 1 },
        quote: q,
        team: { teamId: tm.teamId, projectId: tm.project },
      });
      await waitJob(s, tm.member.headers, j.jobId, inState('running'));
      await Promise.all([
        Promise.resolve().then(() => gate.open()),
        post(`/v1/jobs/${j.jobId}/cancel`, tm.member.headers),
      ]);
      await waitJob(s, tm.member.headers, j.jobId);
      started.push(j);
    }
    let charged = 0;
    const onTeam = await teamEntries(tm.teamId, tm.owner);
    for (const j of started) {
      const end = (await getJob(s, tm.member.headers, j.jobId)).json<Job>();
      const settles = onTeam
        .filter((e) => e.holdId === j.holdId && (e.type === 'capture' || e.type === 'release'))
        .map((e) => e.type);
      if (end.state === 'succeeded') {
        expect([end.charged, settles]).toEqual([q.credits, ['capture']]);
      } else {
        expect([end.state, end.charged, settles]).toEqual(['cancelled', 0, ['release']]);
      }
      charged += end.charged ?? 0;
      const charge = await s.t.db.query<{ charged: number; open: boolean }>(
        'select charged, open from team_charges where team_id = $1 and ref_id = $2',
        [tm.teamId, j.holdId],
      );
      expect(charge.rows).toEqual([{ charged: end.charged ?? 0, open: false }]);
    }
    expect((await teamBalance(tm.teamId, tm.owner)).balances.image?.available).toBe(500 - charged);
    s.provider.handler = openaiImages;
  });

  // Last: moves the shared clock to the end of the month.
  it('a hold made before the month rolls over is charged to its own month: captured after, it takes nothing from the new month', async () => {
    const tm = await team();
    const m = tm.member;
    expect(
      (
        await post(`/v1/teams/${tm.teamId}/budgets`, tm.owner.headers, {
          operationId: opId(),
          scope: 'member',
          subjectId: m.accountId,
          monthly: 10,
        })
      ).statusCode,
    ).toBe(200);
    s.t.clock.set('2026-11-30T23:59:50.000Z');
    const late = (await plainHold(tm, m, 10, tm.project, 600)).json<{ holdId: string }>().holdId;
    expect((await plainHold(tm, m, 1, null)).statusCode).toBe(403);
    s.t.clock.set('2026-12-01T00:00:10.000Z');
    const fresh = await plainHold(tm, m, 10, null);
    expect(fresh.statusCode).toBe(201);
    const cap = await post(`/v1/teams/${tm.teamId}/holds/${late}/capture`, m.headers, {
      operationId: opId(),
      amount: 4,
    });
    expect(cap.statusCode).toBe(200);
    const usage = await s.t.db.query<{ period: string; used: number }>(
      `select period, used from team_budget_usage where team_id = $1 and scope = 'member' and subject_id = $2 order by period`,
      [tm.teamId, m.accountId],
    );
    expect(usage.rows).toEqual([
      { period: '2026-11', used: 4 },
      { period: '2026-12', used: 10 },
    ]);
    expect((await plainHold(tm, m, 1, null)).statusCode).toBe(403);
    // A December hold left open expires and gives December its budget back.
    s.t.clock.set('2026-12-01T00:30:00.000Z');
    expect((await plainHold(tm, m, 10, null)).statusCode).toBe(201);
  });
});
