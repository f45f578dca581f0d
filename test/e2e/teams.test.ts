import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { teamReport } from '../../server/teams/team-report';
import { type E2eApp, type MemberApp, signUp, startE2eApp, startMemberApp } from './app';
import { axeSerious, docsShot, goTo as go, shot } from './harness';

/**
 * Teams end to end (docs/architecture.md §14): two members, each with their own app (main's
 * browser-mode host and data folder) in their own Chromium context, on one real server. The
 * owner creates a team and a project and invites by e-mail; the invite link reaches the member's
 * app before they have an account (as Electron's open-url or second instance would hand it over),
 * the app says so on the sign-in screen, and once they sign up it asks "Join team …?"; the
 * owner sets the member's budget; the member switches the top bar to the team wallet and sees
 * the verified team balance, History with the member column, and spending per member in Wallet;
 * a member cannot change budgets; made an admin, they may change their own budget and role but
 * are offered neither for the owner; removal ends the member's access.
 */
let app: E2eApp | null = null;
let memberApp: MemberApp | null = null;
let owner: Page;
let member: Page;
const stamp = Date.now();
const ownerEmail = `owner-${stamp}@example.com`;
const memberEmail = `member-${stamp}@example.com`;
let teamId = '';

const teams = (page: Page) => page.getByRole('region', { name: 'Teams' });

beforeAll(async () => {
  app = await startE2eApp({ name: 'teams', context: { viewport: { width: 1280, height: 900 } } });
  owner = app.page;
  memberApp = await startMemberApp(app, 'easel-e2e-teams-member-');
  member = memberApp.page;
});

afterAll(async () => {
  await memberApp?.close();
  await app?.close();
});

describe('teams with two members in two browser contexts', () => {
  it('the owner signs up', async () => {
    await signUp(owner, ownerEmail);
  });

  it('the owner creates a team and a project and invites by e-mail; the link opens the member’s app, which offers to join after sign-up', async () => {
    await go(owner, 'Settings');
    await teams(owner).getByLabel('Team name').fill('Studio North');
    await teams(owner).getByRole('button', { name: 'Create team' }).click();
    await teams(owner).getByTestId('team-panel').waitFor();
    await teams(owner).getByLabel('New project name').fill('Spring catalog');
    await teams(owner).getByRole('button', { name: 'Add project' }).click();
    await teams(owner).getByTestId('team-project').getByText('Spring catalog').waitFor();
    await teams(owner).getByLabel('E-mail to invite').fill(memberEmail);
    await teams(owner).getByRole('button', { name: 'Invite' }).click();
    const link = (await teams(owner).getByTestId('invite-link').textContent()) ?? '';
    expect(link).toMatch(/^easel:\/\/team-invite\?token=[\w-]{43}$/);

    // The link reaches the member's app while nobody is signed in there.
    await memberApp?.host.openLink(link);
    await member
      .getByTestId('invite-waiting')
      .getByText(/You opened a team invite/)
      .waitFor();
    await signUp(member, memberEmail);
    const prompt = member.getByRole('dialog', { name: 'Join team Studio North?' });
    await prompt.getByText(`You were invited as a member (${memberEmail})`).waitFor();
    await docsShot(member, 'team-invite');
    expect(await axeSerious(member)).toEqual([]);
    await prompt.getByRole('button', { name: 'Join team' }).click();
    const joined = member.getByRole('dialog', { name: 'You joined Studio North' });
    await joined.getByRole('button', { name: 'Done' }).click();
    await joined.waitFor({ state: 'detached' });
    await go(member, 'Settings');
    await teams(member).getByTestId('team-panel').waitFor();
    await teams(member)
      .getByText('Only owners and admins change roles, budgets and projects.')
      .waitFor();
    await member.getByRole('heading', { name: 'Teams' }).evaluate((h) => h.scrollIntoView());
    await shot(member, 'team-settings-member');
    // A member sees no budget fields and no role menus.
    expect(
      await teams(member)
        .getByLabel(/Monthly budget for/)
        .count(),
    ).toBe(0);
    expect(
      await teams(member)
        .getByLabel(/Role of/)
        .count(),
    ).toBe(0);
    // The same link does not work twice: opened again, the app says why in a sentence...
    await memberApp?.host.openLink(link);
    const again = member.getByRole('dialog', { name: "You can't join Studio North" });
    await again.getByText('You are already a member of Studio North.').waitFor();
    await again.getByRole('button', { name: 'Close' }).click();
    await again.waitFor({ state: 'detached' });
    // A link for another address says so in a sentence (an invite to a second team, which the
    // member is not in).
    const otherEmail = `other-${stamp}@example.com`;
    await teams(owner).getByLabel('Team name').fill('Studio South');
    await teams(owner).getByRole('button', { name: 'Create team' }).click();
    await teams(owner)
      .getByText(/You are an owner of Studio South/)
      .waitFor();
    await teams(owner).getByLabel('E-mail to invite').fill(otherEmail);
    await teams(owner).getByRole('button', { name: 'Invite' }).click();
    await teams(owner).getByTestId('invite-link').waitFor();
    await memberApp?.host.openLink(
      (await teams(owner).getByTestId('invite-link').textContent()) ?? '',
    );
    const other = member.getByRole('dialog', { name: "You can't join Studio South" });
    await other.waitFor();
    expect(await other.getByRole('alert').textContent()).toBe(
      `This invite is for ${otherEmail}, and you are signed in as ${memberEmail}. Sign out and sign in with ${otherEmail} to join.`,
    );
    // Signing out would keep the link for the invited address; closing drops it.
    await other.getByRole('button', { name: 'Sign out' }).waitFor();
    await other.getByRole('button', { name: 'Close' }).click();
    await other.waitFor({ state: 'detached' });
    // ...and pasted into Settings, the server refuses it.
    await teams(member).getByLabel('Invite link').fill('easel://team-invite?token=short');
    await teams(member).getByRole('button', { name: 'Join team' }).click();
    await teams(member)
      .getByRole('alert')
      .getByText(/That is not an invite link/)
      .waitFor();
    await teams(member).getByLabel('Invite link').fill(link);
    await teams(member).getByRole('button', { name: 'Join team' }).click();
    await teams(member)
      .getByRole('alert')
      .getByText(/already been accepted/)
      .waitFor();
  });

  it("the owner sets the member's monthly budget; the team wallet is funded", async () => {
    const server = app?.server;
    if (!server) throw new Error('no server');
    const { rows } = await server.services.db.query<{ id: string; account_id: string }>(
      'select id, account_id from teams where name = $1',
      ['Studio North'],
    );
    const team = rows[0];
    if (!team) throw new Error('no team');
    teamId = team.id;
    await server.services.ledger.grant(team.account_id, {
      operationId: 'e2e-team-fund',
      amount: 1000,
      source: 'pack',
      reason: 'team pack',
    });
    await owner.reload();
    await go(owner, 'Settings');
    const budget = teams(owner).getByLabel(`Monthly budget for ${memberEmail}`);
    await budget.fill('50');
    await budget.press('Enter');
    await teams(owner).getByText('0 credits used of 50 credits').waitFor();
    await owner.getByRole('heading', { name: 'Teams' }).evaluate((h) => h.scrollIntoView());
    await docsShot(owner, 'team-settings');
    expect(await axeSerious(owner)).toEqual([]);
  });

  it('the member switches to the team wallet: verified balance, History with the member column, spending per member', async () => {
    const server = app?.server;
    if (!server) throw new Error('no server');
    const { rows } = await server.services.db.query<{ id: string; project: string }>(
      `select a.id, p.id as project from accounts a, team_projects p where a.email = $1 and p.team_id = $2`,
      [memberEmail, teamId],
    );
    const m = rows[0];
    if (!m) throw new Error('no member');
    // A run on the team wallet for the project, as the member (the server's own hold API).
    const hold = await server.services.teamWallet.hold(teamId, m.id, {
      operationId: 'e2e-team-hold',
      kind: 'image',
      amount: 30,
      projectId: m.project,
      purpose: { kind: 'job', jobId: 'e2e-job', tool: 'generate' },
    });
    await server.services.teamWallet.capture(teamId, m.id, hold.body.holdId, {
      operationId: 'e2e-team-capture',
      amount: 24,
    });
    await member.reload();
    await member.getByTestId('wallet-switcher').waitFor({ timeout: 20_000 });
    await member.getByTestId('wallet-switcher').selectOption({ label: 'Studio North (team)' });
    await expect
      .poll(async () => member.getByTestId('team-balance').textContent(), { timeout: 20_000 })
      .toContain('976 credits');
    await go(member, 'History');
    const table = member.getByTestId('team-history');
    // The run's hold and capture are one activity; its job is not known here (made through the
    // server's API), so it is named after its tool (docs/architecture.md §14).
    const run = table.locator('.vrow').filter({
      has: member.locator('.activity-toggle').getByText('generate run', { exact: true }),
    });
    await run.waitFor();
    expect(await run.locator('.activity-detail').first().textContent()).toBe(
      'Image generation · 24 credits charged',
    );
    expect(await run.locator('.cell.amount').textContent()).toBe('−24 credits');
    expect(await run.locator('.status-chip').textContent()).toBe('charged');
    expect(await run.getByTestId('team-history-member').textContent()).toBe(memberEmail);
    expect(await run.locator('.cell.project').textContent()).toBe('Spring catalog');
    const memberCells = await member.getByTestId('team-history-member').allTextContents();
    expect(memberCells.filter((c) => c === memberEmail)).toHaveLength(1);
    // The row opens on its two wallet entries.
    await run.locator('.activity-toggle').click();
    const entries = member.getByLabel('Ledger entries of generate run').getByRole('listitem');
    await entries.nth(1).waitFor();
    expect(await entries.count()).toBe(2);
    await entries.getByText('Charged', { exact: true }).waitFor();
    await shot(member, 'team-history-open');
    await run.locator('.activity-toggle').click();
    await docsShot(member, 'team-history');
    expect(await axeSerious(member)).toEqual([]);
    await go(member, 'Wallet');
    await member.getByTestId('team-wallet-balance').getByText('976').waitFor();
    const spending = member.getByTestId('team-member-spending');
    await spending
      .getByRole('row', { name: new RegExp(memberEmail) })
      .getByText('24 credits')
      .waitFor();
    await spending.getByText('24 of 50').waitFor();
    // The cost report is for owners and admins.
    expect(await member.getByRole('region', { name: 'Cost report' }).count()).toBe(0);
    await docsShot(member, 'team-wallet');
    expect(await axeSerious(member)).toEqual([]);
  });

  it('the owner’s cost report: per project and per member for a month, totals and CSV, as the server’s report says', async () => {
    const server = app?.server;
    if (!server) throw new Error('no server');
    await owner.reload();
    await owner.getByTestId('wallet-switcher').waitFor({ timeout: 20_000 });
    await owner.getByTestId('wallet-switcher').selectOption({ label: 'Studio North (team)' });
    await go(owner, 'Wallet');
    const report = owner.getByRole('region', { name: 'Cost report' });
    const month = new Date().toISOString().slice(0, 7);
    await expect.poll(async () => report.getByLabel('Month').inputValue()).toBe(month);
    const projects = report.getByTestId('team-report-projects');
    const members = report.getByTestId('team-report-members');
    await projects
      .getByRole('row', { name: /Spring catalog/ })
      .getByRole('cell', { name: '24', exact: true })
      .waitFor();
    await members
      .getByRole('row', { name: new RegExp(memberEmail) })
      // Exact cell: the e-mail itself may contain the digits "24".
      .getByRole('cell', { name: '24', exact: true })
      .waitFor();
    await report.getByTestId('team-report-total').getByText('24 credits').waitFor();
    // The screen is made from the verified chain; the server's /report route says the same.
    const { rows } = await server.services.db.query<{ account_id: string }>(
      'select account_id from teams where id = $1',
      [teamId],
    );
    const byRoute = await teamReport(server.services.db, teamId, rows[0]?.account_id ?? '', month);
    expect(byRoute.total).toBe(24);
    expect(byRoute.byProject.map((p) => [p.name, p.spent, p.runs])).toEqual([
      ['Spring catalog', 24, 1],
    ]);
    expect(byRoute.byMember.map((m) => [m.name, m.spent, m.runs])).toEqual([[memberEmail, 24, 1]]);
    const [download] = await Promise.all([
      owner.waitForEvent('download'),
      report.getByRole('button', { name: 'Export (CSV)' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8').split('\n');
    expect(csv).toEqual([
      'month,kind,name,runs,credits',
      `"${month}","project","Spring catalog","1","24"`,
      `"${month}","member","${memberEmail}","1","24"`,
      `"${month}","total","","1","24"`,
    ]);
    await report.evaluate((r) => r.scrollIntoView());
    await docsShot(owner, 'team-report');
    expect(await axeSerious(owner)).toEqual([]);
  });

  it('an admin is offered a budget field and a role menu for themself, none for the owner', async () => {
    await owner.reload();
    await go(owner, 'Settings');
    await teams(owner).getByLabel(`Role of ${memberEmail}`).selectOption('admin');
    await member.reload();
    await go(member, 'Settings');
    await teams(member).getByText('You are an admin of Studio North.', { exact: false }).waitFor();
    const rowOf = (email: string) =>
      teams(member)
        .getByRole('table', { name: 'Members' })
        .getByRole('row', { name: new RegExp(email) });
    await rowOf(memberEmail).getByLabel(`Monthly budget for ${memberEmail}`).waitFor();
    expect(await rowOf(memberEmail).getByLabel(`Role of ${memberEmail}`).count()).toBe(1);
    // The server refuses an admin who sets an owner's budget or role (403 team-role).
    expect(
      await rowOf(ownerEmail)
        .getByLabel(/Monthly budget for/)
        .count(),
    ).toBe(0);
    expect(
      await rowOf(ownerEmail)
        .getByLabel(/Role of/)
        .count(),
    ).toBe(0);
    await rowOf(ownerEmail).getByText('No budget · 0 credits used', { exact: true }).waitFor();
    await member.getByRole('heading', { name: 'Teams' }).evaluate((h) => h.scrollIntoView());
    await shot(member, 'team-settings-admin');
  });

  it('removal ends the member’s access: the team leaves their wallet switcher', async () => {
    await owner.reload();
    await go(owner, 'Settings');
    await teams(owner)
      .getByRole('row', { name: new RegExp(memberEmail) })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect.poll(async () => teams(owner).getByTestId('team-member').count()).toBe(1);
    await member.reload();
    await member.getByRole('heading', { level: 1 }).first().waitFor();
    await expect
      .poll(async () => member.getByTestId('wallet-switcher').count(), { timeout: 20_000 })
      .toBe(0);
  });
});
