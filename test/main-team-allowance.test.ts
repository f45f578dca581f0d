import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EaselError } from '../shared/ipc/contract';
import { EntryBody } from '../shared/ledger/entry';
import { expectEaselError, startPgliteServer, waitFor } from './support/main-harness';
import { install as installAgain, proxiedDevice } from './support/main-install';

type Server = Awaited<ReturnType<typeof startPgliteServer>>;

/** One desktop install: its own data folder and secrets, and a network path we can cut. */
const install = (server: Server) => proxiedDevice(server.url, 'easel-main-team-');
type Install = Awaited<ReturnType<typeof install>>;

async function teamEntries(server: Server, accountId: string) {
  const { rows } = await server.services.db.query<{ body: string }>(
    'select body from entries where account_id = $1 order by seq',
    [accountId],
  );
  return rows.map((r) => EntryBody.parse(JSON.parse(r.body)));
}

// docs/architecture.md §5, §14: a member's device reserves an allowance from the team wallet,
// verifies it in the team chain main keeps, spends it offline, and settles on reconnect.
describe('team offline allowance in main (real server, PGlite)', () => {
  let server: Server;
  let owner: Install;
  let member: Install;
  let teamId: string;
  let teamAccount: string;
  let project: string;
  let memberId: string;
  const password = 'correct horse battery';

  beforeAll(async () => {
    server = await startPgliteServer();
    owner = await install(server);
    member = await install(server);
    await owner.call('signUp', { email: 'team-owner@example.com', password });
    memberId = (await member.call('signUp', { email: 'team-member@example.com', password }))
      .accountId!;
    const team = await owner.call('createTeam', { name: 'Offline studio' });
    teamId = team.teamId;
    teamAccount = team.accountId;
    await server.services.ledger.grant(teamAccount, {
      operationId: 'grant-team',
      amount: 1000,
      source: 'pack',
      reason: 'test credits',
    });
    const { token } = await owner.call('inviteTeamMember', {
      teamId,
      email: 'team-member@example.com',
      role: 'member',
    });
    await member.call('acceptTeamInvite', { token });
    const detail = await owner.call('createTeamProject', { teamId, name: 'Spring' });
    project = detail.projects[0]!.projectId;
    await owner.call('setTeamBudget', {
      teamId,
      scope: 'member',
      subjectId: memberId,
      monthly: 250,
    });
  });
  afterAll(async () => {
    await owner.close();
    await member.close();
    await server.stop();
  });

  it('reserves within the budget, spends offline once per counter, settles with member and project', async () => {
    const book = await member.call('getPriceBook', {});
    const designs = await member.call('listDesigns', {});
    const confetti = designs.find((d) => d.designId === 'design-confetti')!;
    const v = book.book.version;
    const redeem = () =>
      member.call('redeemDesign', {
        designId: confetti.designId,
        expectedCredits: confetti.credits,
        priceBookVersion: v,
        teamId,
        projectId: project,
      });

    const taken = await member.call('takeAllowance', { teamId, amount: 500, days: 7 });
    // Cut to the member's budget, and verified in the team chain main keeps.
    expect(taken).toMatchObject({ amount: 250, status: 'open', spentOffline: 0, verified: true });
    // Kept apart from the personal allowance.
    expect(await member.call('getAllowance', {})).toBeNull();
    const online = await member.call('getTeamWallet', { teamId });
    expect(online).toMatchObject({ balance: 1000, available: 750, fresh: true });

    member.proxy.faults.down = true;
    // Three at once where two fit (99 + 99 of 250): never the same counter, never past it.
    const results = await Promise.allSettled([redeem(), redeem(), redeem()]);
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(ok.map((r) => r.voucherCounter).sort()).toEqual([1, 2]);
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(failed.map((e: EaselError) => e.code)).toEqual(['allowance-exceeded']);
    // Offline, the team wallet's balance leaves out what this device spent.
    expect(await member.call('getTeamWallet', { teamId })).toMatchObject({
      balance: 1000 - 2 * confetti.credits,
      fresh: false,
    });
    expect(await member.call('getAllowance', { teamId })).toMatchObject({
      spentOffline: 2 * confetti.credits,
      pendingVouchers: 2,
      settled: 0,
    });

    member.proxy.faults.down = false;
    await waitFor(async () =>
      (await teamEntries(server, teamAccount)).some((e) => e.type === 'settle'),
    );
    await waitFor(
      async () => (await member.call('getAllowance', { teamId }))?.pendingVouchers === 0,
    );
    const entries = await teamEntries(server, teamAccount);
    const settles = entries.filter((e) => e.type === 'settle');
    expect(settles).toHaveLength(1);
    expect(settles[0]).toMatchObject({
      amount: 2 * confetti.credits,
      team: { memberId, projectId: project },
    });
    // Sending again settles nothing more.
    const scope = await member.core.testing.device();
    await scope.teamAllowances.flush(teamId);
    expect(
      (await teamEntries(server, teamAccount)).filter((e) => e.type === 'settle'),
    ).toHaveLength(1);
    const state = await member.call('getAllowance', { teamId });
    expect(state).toMatchObject({
      settled: 2 * confetti.credits,
      pendingVouchers: 0,
      rejected: [],
    });
    // The owner's view of the team chain shows the spend with the member and project.
    const wallet = await owner.call('getTeamWallet', { teamId });
    expect(wallet.balance).toBe(1000 - 2 * confetti.credits);
    expect(wallet.rows.find((r) => r.type === 'settle')).toMatchObject({
      memberId,
      projectId: project,
    });

    // Returned: the rest goes back and the budget charge closes at what was spent.
    expect(await member.call('returnAllowance', { teamId })).toMatchObject({ status: 'closed' });
    const detail = await owner.call('getTeam', { teamId });
    expect(detail.members.find((m) => m.accountId === memberId)?.budget).toEqual({
      monthly: 250,
      used: 2 * confetti.credits,
    });
  });

  it('an edited team chain on disk stops offline spending with the reason', async () => {
    const i = await installAgain(server.url);
    const d = await i.open();
    await d.call('signIn', { email: 'team-member@example.com', password });
    await d.call('getPriceBook', {});
    const confetti = (await d.call('listDesigns', {})).find(
      (x) => x.designId === 'design-confetti',
    )!;
    const taken = await d.call('takeAllowance', { teamId, amount: 40, days: 7 });
    expect(taken).toMatchObject({ amount: 40, verified: true });
    await d.core.close();

    // Raise the reserve's amount in the stored chain; the next start verifies it from genesis.
    const file = join(i.dataDir, 'teams', `${teamId}.json`);
    const chain = JSON.parse(await readFile(file, 'utf8')) as { entries: Array<{ body: string }> };
    const reserve = chain.entries.findLast((e) => e.body.includes(taken.allowanceId))!;
    expect(reserve.body).toContain('"amount":40,');
    reserve.body = reserve.body.replace('"amount":40,', '"amount":400,');
    await writeFile(file, JSON.stringify(chain));

    i.proxy.faults.down = true;
    const offline = await i.open();
    const book = await offline.call('getPriceBook', {});
    const err = await expectEaselError(
      offline.call('redeemDesign', {
        designId: confetti.designId,
        expectedCredits: confetti.credits,
        priceBookVersion: book.book.version,
        teamId,
      }),
    );
    expect(err.code).toBe('verification-failed');
    expect(await offline.call('getAllowance', { teamId })).toMatchObject({
      spentOffline: 0,
      verified: false,
    });
    expect((await offline.call('getAllowance', { teamId }))?.blockedReason).toContain(
      'failed its check',
    );
    await offline.core.close();
    await i.proxy.close();
  });

  it('vouchers arriving after the member was removed are refused and shown, and nothing is written', async () => {
    await owner.call('setTeamBudget', {
      teamId,
      scope: 'member',
      subjectId: memberId,
      monthly: 600,
    });
    const book = await member.call('getPriceBook', {});
    const confetti = (await member.call('listDesigns', {})).find(
      (d) => d.designId === 'design-confetti',
    )!;
    const taken = await member.call('takeAllowance', { teamId, amount: 200, days: 7 });
    expect(taken).toMatchObject({ status: 'open', verified: true });
    member.proxy.faults.down = true;
    await member.call('redeemDesign', {
      designId: confetti.designId,
      expectedCredits: confetti.credits,
      priceBookVersion: book.book.version,
      teamId,
      projectId: project,
    });
    await owner.call('removeTeamMember', { teamId, memberId });
    const before = (await teamEntries(server, teamAccount)).length;
    member.proxy.faults.down = false;
    await waitFor(
      async () => (await member.call('getAllowance', { teamId }))?.pendingVouchers === 0,
    );
    const state = await member.call('getAllowance', { teamId });
    expect(state?.rejected).toEqual([
      expect.objectContaining({
        allowanceId: taken.allowanceId,
        code: 'team-member-removed',
        designId: confetti.designId,
      }),
    ]);
    expect((await teamEntries(server, teamAccount)).length).toBe(before);
    const settled = (await teamEntries(server, teamAccount)).filter(
      (e) => e.type === 'settle' && e.allowanceId === taken.allowanceId,
    );
    expect(settled).toEqual([]);
  });
});
