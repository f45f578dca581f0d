import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobs';
import { PriceBook } from '../../shared/pricing/book';
import { quote } from '../../shared/pricing/quote';
import { TeamDetail, TeamSummary } from '../../shared/api/teams';
import { buildApp } from '../http/app';
import type { Services } from '../services';
import { type TestServer, opId, signUp, testServer } from '../testing/harness';
import { type Jobs, createJobs, registerJobRoutes } from './index';

// docs/architecture.md §14: a Studio run's hold on a team wallet is checked against the
// project's budget inside the team account's locked ledger write; with two members' runs
// alternating between two server instances on one PostgreSQL, only that keeps them from passing it.
describe('Studio runs on a team wallet through two instances over one PostgreSQL', () => {
  let t: TestServer;
  let dataDir: string;
  const instances: Array<{ app: FastifyInstance; jobs: Jobs }> = [];

  beforeAll(async () => {
    t = await testServer('postgres', {
      ledger: { dailyCreditsByPlan: {} },
      start: '2026-11-10T09:00:00.000Z',
    });
    const other = await t.anotherInstance();
    dataDir = await mkdtemp(join(tmpdir(), 'easel-team-race-'));
    for (const services of [t.services, other.services] as Services[]) {
      const jobs = createJobs(services, {
        dataDir,
        sweepIntervalMs: 0,
        heartbeatMs: 0,
        maxQueue: 32,
      });
      const app = buildApp(services, {
        extend: (a, route, accountOf) => registerJobRoutes(a, route, accountOf, jobs),
      });
      await app.ready();
      instances.push({ app, jobs });
    }
  });
  afterAll(async () => {
    for (const i of instances) {
      await i.app.close();
      await i.jobs.close();
    }
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('two members, 16 runs at once through two instances: a project budget of five runs passes exactly five', async () => {
    const [a, b] = instances.map((i) => i.app) as [FastifyInstance, FastifyInstance];
    const post = (app: FastifyInstance, url: string, headers: object, payload: unknown) =>
      app.inject({ method: 'POST', url, headers: { ...headers }, payload: payload as object });
    const owner = await signUp(a);
    const team = TeamSummary.parse(
      (await post(a, '/v1/teams', owner.headers, { name: 'Race' })).json(),
    );
    await t.services.ledger.grant(team.accountId, {
      operationId: opId('fund'),
      amount: 10_000,
      source: 'pack',
      reason: 'test',
    });
    const members: Array<Awaited<ReturnType<typeof signUp>>> = [];
    for (let i = 0; i < 2; i++) {
      const m = await signUp(a);
      const invite = await post(b, `/v1/teams/${team.teamId}/invites`, owner.headers, {
        email: m.email,
      });
      expect(
        (await post(a, '/v1/team-invites/accept', m.headers, { token: invite.json().token }))
          .statusCode,
      ).toBe(200);
      members.push(m);
    }
    const project = (
      await post(a, `/v1/teams/${team.teamId}/projects`, owner.headers, { name: 'Launch' })
    ).json<{ projectId: string }>().projectId;
    const book = PriceBook.parse(
      (await a.inject({ method: 'GET', url: '/v1/price-book' })).json().book,
    );
    const q = quote(book, {
      tool: 'generate',
      mode: 'text-to-image',
      width: 64,
      height: 64,
      steps: 10,
      model: 'easel-preview',
      count: 1,
    });
    const price = q.credits;
    expect(price).toBeGreaterThan(0);
    expect(
      (
        await post(b, `/v1/teams/${team.teamId}/budgets`, owner.headers, {
          operationId: opId('budget'),
          scope: 'project',
          subjectId: project,
          monthly: price * 5,
        })
      ).statusCode,
    ).toBe(200);

    const results = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const m = members[i % 2]!;
        const res = await post(i % 4 < 2 ? a : b, '/v1/jobs', m.headers, {
          operationId: opId('run'),
          tool: 'generate',
          params: {
            mode: 'text-to-image',
            prompt: `race ${i}`,
            model: 'easel-preview',
            width: 64,
            height: 64,
            steps: 10,
            seed: i,
            count: 1,
          },
          quote: { credits: q.credits, priceBookVersion: q.priceBookVersion },
          team: { teamId: team.teamId, projectId: project },
        });
        return { status: res.statusCode, job: res.statusCode === 201 ? res.json<Job>() : null, m };
      }),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    expect(results.filter((r) => r.status !== 201).every((r) => r.status === 403)).toBe(true);

    // Every admitted run finishes and captures; the project used exactly its budget.
    for (const r of results) {
      if (!r.job) continue;
      for (;;) {
        const job = (
          await a.inject({ method: 'GET', url: `/v1/jobs/${r.job.jobId}`, headers: r.m.headers })
        ).json<Job>();
        if (job.state !== 'queued' && job.state !== 'running') {
          expect(job).toMatchObject({ state: 'succeeded', charged: price });
          break;
        }
        await new Promise((done) => setTimeout(done, 50));
      }
    }
    for (const app of [a, b]) {
      const view = TeamDetail.parse(
        (
          await app.inject({
            method: 'GET',
            url: `/v1/teams/${team.teamId}`,
            headers: owner.headers,
          })
        ).json(),
      );
      expect(view.projects[0]?.budget).toEqual({ monthly: price * 5, used: price * 5 });
    }
    const { rows } = await t.db.query<{ n: number; total: number }>(
      'select count(*)::int as n, coalesce(sum(charged), 0)::int as total from team_charges where team_id = $1 and not open',
      [team.teamId],
    );
    expect(rows[0]).toEqual({ n: 5, total: price * 5 });
  });
});
