import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type E2eApp, type MemberApp, signUp, startE2eApp, startMemberApp } from './app';
import { axeSerious, docsShot, goTo as go, shot, topBarBalance } from './harness';

/**
 * Studio runs on a team wallet end to end (docs/architecture.md §8, §14): two members, each with
 * their own app in their own Chromium context, on one real server. The member chooses the team
 * wallet and a project in the Studio and generates; the team's wallet pays (their own does not
 * move); the owner sees the run among the team's runs with who made it and for which project,
 * and in the team's History; neither sees the team's run on their personal wallet.
 */
let app: E2eApp | null = null;
let memberApp: MemberApp | null = null;
let owner: Page;
let member: Page;
const stamp = Date.now();
const ownerEmail = `owner-${stamp}@example.com`;
const memberEmail = `member-${stamp}@example.com`;

const chooseWallet = async (page: Page, label: string): Promise<void> => {
  await page.getByTestId('wallet-switcher').waitFor({ timeout: 20_000 });
  await page.getByTestId('wallet-switcher').selectOption({ label });
};
const personalBalance = (page: Page): Promise<number> => topBarBalance(page);

beforeAll(async () => {
  app = await startE2eApp({
    name: 'team-studio',
    context: { viewport: { width: 1280, height: 900 } },
  });
  owner = app.page;
  memberApp = await startMemberApp(app, 'easel-e2e-team-studio-member-');
  member = memberApp.page;
});

afterAll(async () => {
  await memberApp?.close();
  await app?.close();
});

describe('Studio runs on a team wallet, two members in two browser contexts', () => {
  let teamId = '';

  it('both sign up; the owner has a funded team with a project, and the member has joined', async () => {
    await signUp(owner, ownerEmail);
    await signUp(member, memberEmail);
    const server = app?.server;
    if (!server) throw new Error('no server');
    const { rows } = await server.services.db.query<{ id: string; email: string }>(
      'select id, email from accounts where email = any($1)',
      [[ownerEmail, memberEmail]],
    );
    const idOf = (email: string): string => rows.find((r) => r.email === email)?.id ?? '';
    const { teams, teamWallet, ledger } = server.services;
    const team = await teams.create(idOf(ownerEmail), 'Studio North');
    teamId = team.teamId;
    const project = await teams.createProject(teamId, idOf(ownerEmail), 'Spring catalog');
    await teams.createProject(teamId, idOf(ownerEmail), 'Autumn lookbook');
    const invite = await teams.invite(teamId, idOf(ownerEmail), {
      email: memberEmail,
      role: 'member',
    });
    await teams.accept(idOf(memberEmail), invite.token);
    await ledger.grant(team.accountId, {
      operationId: 'e2e-team-studio-fund',
      amount: 1000,
      source: 'pack',
      reason: 'team pack',
    });
    await teamWallet.setBudget(teamId, idOf(ownerEmail), {
      operationId: 'e2e-team-studio-budget',
      scope: 'project',
      subjectId: project.projectId,
      monthly: 100,
    });
  });

  it('the member picks the team wallet and a project, sees the budget left, and generates on the team wallet', async () => {
    await member.reload();
    await member.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    const before = await personalBalance(member);
    await chooseWallet(member, 'Studio North (team)');
    const bar = member.getByRole('group', { name: 'Team wallet' });
    await bar.getByText('Charges the Studio North team wallet').waitFor();
    await bar.getByTestId('run-project').selectOption({ label: 'Spring catalog' });
    await bar.getByText('Left this month — you: no limit · Spring catalog: 100 credits').waitFor();
    await member.getByTestId('count-1').check();
    await member.getByLabel('Prompt', { exact: true }).fill('a lighthouse on a spring morning');
    const q = Number(await member.getByTestId('quote-credits').textContent());
    expect(q).toBeGreaterThan(0);
    await member.getByRole('button', { name: 'Generate 1 image' }).click();
    const runs = member.getByRole('region', { name: 'Studio North runs' });
    await runs.getByTestId('run-succeeded').first().waitFor({ timeout: 60_000 });
    await runs.getByTestId('run-team').getByText(`by ${memberEmail} · Spring catalog`).waitFor();
    // The team's wallet paid; the member's own did not move.
    await bar
      .getByText(`Left this month — you: no limit · Spring catalog: ${100 - q} credits`)
      .waitFor({ timeout: 20_000 });
    expect(await personalBalance(member)).toBe(before);
    await expect
      .poll(async () => member.getByTestId('team-balance').textContent(), { timeout: 20_000 })
      .toContain(`${1000 - q} credits`);
    await member.getByTestId('result-tile').first().waitFor();
    await member.mouse.move(0, 0);
    // Tall enough for the run button's cost line under the team bar.
    await member.setViewportSize({ width: 1280, height: 1000 });
    await docsShot(member, 'team-studio');
    expect(await axeSerious(member)).toEqual([]);

    // A budget the next run would pass: a sentence in place of the run, nothing sent.
    const server = app?.server;
    if (!server) throw new Error('no server');
    const { rows } = await server.services.db.query<{ id: string; email: string }>(
      'select id, email from accounts where email = any($1)',
      [[ownerEmail, memberEmail]],
    );
    const idOf = (email: string): string => rows.find((r) => r.email === email)?.id ?? '';
    await server.services.teamWallet.setBudget(teamId, idOf(ownerEmail), {
      operationId: 'e2e-team-studio-member-budget',
      scope: 'member',
      subjectId: idOf(memberEmail),
      monthly: q + 1,
    });
    await member
      .getByTestId('run-blocked')
      .getByText(
        `This run costs ${q} credits; the team budget has 1 left this month. Choose another project or ask an owner to raise it.`,
      )
      .waitFor({ timeout: 20_000 });
    expect(await member.getByRole('button', { name: 'Generate 1 image' }).isDisabled()).toBe(true);

    // On the personal wallet the team's run is not among the member's runs.
    await chooseWallet(member, 'Personal');
    await member.getByRole('region', { name: 'Runs' }).waitFor();
    expect(await member.getByRole('region', { name: 'Runs' }).getByTestId('run-team').count()).toBe(
      0,
    );
  });

  it('the owner sees the run in the team’s runs and its History with member and project', async () => {
    await owner.reload();
    await owner.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    await chooseWallet(owner, 'Studio North (team)');
    const runs = owner.getByRole('region', { name: 'Studio North runs' });
    await runs
      .getByTestId('run-team')
      .getByText(`by ${memberEmail} · Spring catalog`)
      .waitFor({ timeout: 20_000 });
    // The member's image, served to the owner as the team's file.
    const thumb = runs.getByTestId('run-succeeded').locator('img').first();
    await thumb.waitFor({ timeout: 20_000 });
    await expect
      .poll(async () => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth), {
        timeout: 20_000,
      })
      .toBe(512);
    await go(owner, 'History');
    const memberCells = await owner.getByTestId('team-history-member').allTextContents();
    expect(memberCells.filter((c) => c === memberEmail).length).toBeGreaterThanOrEqual(1);
    // One activity for the run, titled with its prompt and showing its image (docs/architecture.md §14).
    const run = owner
      .getByTestId('team-history')
      .locator('.vrow')
      .filter({
        has: owner
          .locator('.activity-toggle')
          .getByText('a lighthouse on a spring morning', { exact: true }),
      });
    await run.waitFor({ timeout: 20_000 });
    expect(await run.count()).toBe(1);
    expect(await run.locator('.status-chip').textContent()).toBe('charged');
    expect(await run.getByTestId('team-history-member').textContent()).toBe(memberEmail);
    await run.locator('img.activity-thumb').waitFor({ timeout: 20_000 });
    await shot(owner, 'team-studio-history');
    await owner
      .getByTestId('team-history')
      .getByRole('cell', { name: 'Spring catalog' })
      .first()
      .waitFor();
    // The cost report (team Wallet) charges the run to the project and the member.
    await go(owner, 'Wallet');
    await owner
      .getByTestId('team-report-projects')
      .getByRole('row', { name: /Spring catalog/ })
      .waitFor();
    await owner.getByTestId('team-report-members').getByText(memberEmail).waitFor();
    await go(owner, 'Studio');
    await chooseWallet(owner, 'Personal');
    expect(await owner.getByRole('region', { name: 'Runs' }).getByTestId('run-team').count()).toBe(
      0,
    );
    expect(teamId).not.toBe('');
  });
});
