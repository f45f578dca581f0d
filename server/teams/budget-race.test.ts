import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeamDetail, TeamSummary } from '../../shared/api/teams';
import { generateKeyPair } from '../../shared/crypto/ed25519';
import { type TestServer, opId, signUp, twoListeningInstances } from '../testing/harness';

// docs/architecture.md §14: team budgets are checked inside the team wallet's ledger write,
// under the team account's row lock; with members' holds alternating between two instances on
// one PostgreSQL, only that lock keeps them from both passing the check.
describe('team budgets with two instances over one PostgreSQL', () => {
  let t: TestServer;
  let bases: string[] = [];
  beforeAll(async () => {
    ({ t, bases } = await twoListeningInstances());
  });
  afterAll(async () => t.close());

  const call = async (
    base: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ) => {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('four members, 80 holds of 6 at once: a member budget of 60 and a project budget of 100 are never passed', async () => {
    const [a, b] = bases as [string, string];
    const owner = await signUp(t.app);
    const team = TeamSummary.parse(
      (await call(a, '/v1/teams', owner.headers, { name: 'Race' })).json,
    );
    await t.services.ledger.grant(team.accountId, {
      operationId: opId('fund'),
      amount: 10_000,
      source: 'pack',
      reason: 'test',
    });
    const members: Array<Awaited<ReturnType<typeof signUp>>> = [];
    for (let i = 0; i < 4; i++) {
      const m = await signUp(t.app);
      const { json } = await call(b, `/v1/teams/${team.teamId}/invites`, owner.headers, {
        email: m.email,
      });
      expect(
        (await call(a, '/v1/team-invites/accept', m.headers, { token: json.token })).status,
      ).toBe(200);
      members.push(m);
    }
    const project = (
      await call(a, `/v1/teams/${team.teamId}/projects`, owner.headers, { name: 'Launch' })
    ).json.projectId as string;
    const first = members[0]!;
    for (const [scope, subjectId, monthly] of [
      ['member', first.accountId, 60],
      ['project', project, 100],
    ] as const)
      expect(
        (
          await call(b, `/v1/teams/${team.teamId}/budgets`, owner.headers, {
            operationId: opId('budget'),
            scope,
            subjectId,
            monthly,
          })
        ).status,
      ).toBe(200);

    // The first member spends on no project (only their own budget of 60 applies: 10 pass);
    // the others on the project (100: 16 pass among them).
    const results = await Promise.all(
      Array.from({ length: 80 }, async (_, i) => {
        const m = members[i % 4]!;
        const res = await call(bases[i % 2]!, `/v1/teams/${team.teamId}/holds`, m.headers, {
          operationId: opId('hold'),
          amount: 6,
          projectId: m === first ? null : project,
          purpose: { kind: 'job', jobId: `job-${i}`, tool: 'generate' },
        });
        return { member: i % 4, status: res.status };
      }),
    );
    const passed = (member: (n: number) => boolean) =>
      results.filter((r) => member(r.member) && r.status === 201).length;
    expect(passed((n) => n === 0)).toBe(10);
    expect(passed((n) => n !== 0)).toBe(16);
    expect(results.filter((r) => r.status !== 201).every((r) => r.status === 403)).toBe(true);
    for (const base of bases) {
      const view = TeamDetail.parse(
        (await call(base, `/v1/teams/${team.teamId}`, owner.headers)).json,
      );
      expect(view.members.find((m) => m.accountId === first.accountId)?.budget).toEqual({
        monthly: 60,
        used: 60,
      });
      expect(view.projects[0]?.budget).toEqual({ monthly: 100, used: 96 });
    }
  });

  it('two members, 40 offline allowances of 25 at once: each member budget of 60 is reserved exactly, never passed', async () => {
    const [a, b] = bases as [string, string];
    const owner = await signUp(t.app);
    const team = TeamSummary.parse(
      (await call(a, '/v1/teams', owner.headers, { name: 'Offline race' })).json,
    );
    await t.services.ledger.grant(team.accountId, {
      operationId: opId('fund'),
      amount: 10_000,
      source: 'pack',
      reason: 'test',
    });
    const members: Array<Awaited<ReturnType<typeof signUp>> & { deviceId: string }> = [];
    for (let i = 0; i < 2; i++) {
      const m = await signUp(t.app);
      const { json } = await call(a, `/v1/teams/${team.teamId}/invites`, owner.headers, {
        email: m.email,
      });
      expect(
        (await call(b, '/v1/team-invites/accept', m.headers, { token: json.token })).status,
      ).toBe(200);
      const device = await call(a, '/v1/devices', m.headers, {
        name: 'laptop',
        publicKey: generateKeyPair().publicKey,
      });
      members.push({ ...m, deviceId: device.json.deviceId as string });
      expect(
        (
          await call(b, `/v1/teams/${team.teamId}/budgets`, owner.headers, {
            operationId: opId('budget'),
            scope: 'member',
            subjectId: m.accountId,
            monthly: 60,
          })
        ).status,
      ).toBe(200);
    }
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const m = members[i % 2]!;
        const res = await call(
          bases[(i >> 1) % 2]!,
          `/v1/teams/${team.teamId}/allowances`,
          m.headers,
          {
            operationId: opId('al'),
            deviceId: m.deviceId,
            amount: 25,
          },
        );
        return { member: i % 2, status: res.status, amount: Number(res.json.amount ?? 0) };
      }),
    );
    for (const n of [0, 1]) {
      const mine = results.filter((r) => r.member === n && r.status === 201);
      // 25 + 25 + the 10 left: a reserve is cut to what the budget leaves, then refused.
      expect(mine.reduce((s, r) => s + r.amount, 0)).toBe(60);
      expect(mine.map((r) => r.amount).sort()).toEqual([10, 25, 25]);
    }
    expect(results.filter((r) => r.status !== 201).every((r) => r.status === 403)).toBe(true);
    for (const base of bases) {
      const view = TeamDetail.parse(
        (await call(base, `/v1/teams/${team.teamId}`, owner.headers)).json,
      );
      for (const m of members)
        expect(view.members.find((x) => x.accountId === m.accountId)?.budget).toEqual({
          monthly: 60,
          used: 60,
        });
    }
    const balance = await call(b, `/v1/teams/${team.teamId}/balance`, owner.headers);
    expect(balance.json).toMatchObject({ balances: { image: { reserved: 120, available: 9880 } } });
  });
});
