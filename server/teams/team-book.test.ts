import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';
import { usageByPeriod } from './budgets';

// docs/architecture.md §14: a team write on the head this instance last wrote takes the
// unlocked path (§2) from its team book; `team_book` checks under the row lock what that book
// assumed — the member's role, the project, the budgets — and a write whose check fails is
// decided again under the lock.
describe.each(backends)('team books on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, { start: '2026-11-10T09:00:00.000Z' });
  });
  afterAll(async () => t.close());

  const team = async () => {
    const owner = await signUp(t.app);
    const { teamId, accountId } = await t.services.teams.create(owner.accountId, 'Book team');
    await t.services.ledger.grant(accountId, {
      operationId: opId('fund'),
      amount: 10_000,
      source: 'pack',
      reason: 'test',
    });
    const member = await signUp(t.app);
    const invite = await t.services.teams.invite(teamId, owner.accountId, {
      email: member.email,
      role: 'member',
    });
    await t.services.teams.accept(member.accountId, invite.token);
    const { projectId } = await t.services.teams.createProject(teamId, owner.accountId, 'P');
    return { teamId, accountId, owner: owner.accountId, member: member.accountId, projectId };
  };
  const hold = (teamId: string, memberId: string, amount: number, projectId: string | null) =>
    t.services.teamWallet.hold(teamId, memberId, {
      operationId: opId('hold'),
      kind: 'image',
      amount,
      purpose: { kind: 'job', jobId: `job-${opId()}`, tool: 'generate' },
      projectId,
    });

  it('holds and captures after the first go without a transaction', async () => {
    const { teamId, member, projectId } = await team();
    const first = await hold(teamId, member, 5, projectId);
    await t.services.teamWallet.capture(teamId, member, first.body.holdId, {
      operationId: opId('cap'),
      amount: 5,
    });
    const transactions = vi.spyOn(t.services.db, 'transaction');
    try {
      for (let i = 0; i < 3; i++) {
        const h = await hold(teamId, member, 5, projectId);
        await t.services.teamWallet.capture(teamId, member, h.body.holdId, {
          operationId: opId('cap'),
          amount: 4,
        });
      }
      expect(transactions).not.toHaveBeenCalled();
    } finally {
      transactions.mockRestore();
    }
    const use = await usageByPeriod(t.services.db, teamId, '2026-11');
    expect(use.get(`member:${member}`)).toBe(5 + 3 * 4);
    expect(use.get(`project:${projectId}`)).toBe(5 + 3 * 4);
  });

  it('a member budget is not passed by writes on the unlocked path', async () => {
    const { teamId, owner, member, projectId } = await team();
    await t.services.teamWallet.setBudget(teamId, owner, {
      operationId: opId('budget'),
      scope: 'member',
      subjectId: member,
      monthly: 50,
    });
    await hold(teamId, member, 20, projectId);
    await hold(teamId, member, 20, projectId);
    await expect(hold(teamId, member, 20, projectId)).rejects.toMatchObject({
      status: 403,
      code: 'team-budget',
    });
    const use = await usageByPeriod(t.services.db, teamId, '2026-11');
    expect(use.get(`member:${member}`)).toBe(40);
  });

  it('a project that does not exist is 404 on the unlocked path too, and nothing is written', async () => {
    const { teamId, accountId, member, projectId } = await team();
    await hold(teamId, member, 5, projectId);
    const { rows: before } = await t.services.db.query<{ head_seq: number }>(
      'select head_seq from accounts where id = $1',
      [accountId],
    );
    await expect(hold(teamId, member, 5, 'no-such-project')).rejects.toMatchObject({
      status: 404,
    });
    const { rows: after } = await t.services.db.query<{ head_seq: number }>(
      'select head_seq from accounts where id = $1',
      [accountId],
    );
    expect(after[0]?.head_seq).toBe(before[0]?.head_seq);
    const { rows } = await t.services.db.query<{ n: number }>(
      'select count(*)::int as n from team_charges where team_id = $1',
      [teamId],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('an admin made a member again (no ledger entry, same head) loses staff rights at once', async () => {
    const { teamId, owner, member, projectId } = await team();
    const admin = await signUp(t.app);
    const invite = await t.services.teams.invite(teamId, owner, {
      email: admin.email,
      role: 'admin',
    });
    await t.services.teams.accept(admin.accountId, invite.token);
    const a = await hold(teamId, member, 5, projectId);
    const b = await hold(teamId, member, 5, projectId);
    // As staff, the admin releases a member's hold: this instance now knows it as an admin.
    await t.services.teamWallet.release(teamId, admin.accountId, a.body.holdId, {
      operationId: opId('rel'),
      reason: 'cancelled',
    });
    await t.services.teams.setRole(teamId, owner, admin.accountId, 'member');
    await expect(
      t.services.teamWallet.release(teamId, admin.accountId, b.body.holdId, {
        operationId: opId('rel'),
        reason: 'cancelled',
      }),
    ).rejects.toMatchObject({ status: 404 });
    const { rows } = await t.services.db.query<{ open: boolean }>(
      'select open from team_charges where team_id = $1 and ref_id = $2',
      [teamId, b.body.holdId],
    );
    expect(rows[0]?.open).toBe(true);
  });
});
