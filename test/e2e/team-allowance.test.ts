import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { EntryBody } from '../../shared/ledger/entry';
import { type E2eApp, signUp, startE2eApp } from './app';
import { docsShot } from './harness';

/**
 * A team allowance end to end (docs/architecture.md §5, §14): the owner of a funded team
 * chooses the team wallet, reserves this device's allowance from it in Settings, goes offline,
 * redeems a design on the team wallet for a project picked on the Designs screen, comes back,
 * and the team chain holds the settled spend with the member who spent it and that project.
 */
let app: E2eApp;
let page: Page;
let teamAccount = '';
let memberId = '';
let projectId = '';
const email = `team-allowance-${Date.now()}@example.com`;
const RESERVE = 300;

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}
const allowancePanel = () => page.getByRole('region', { name: /^Offline allowance/ });
const card = (designId: string) => page.getByTestId(`design-${designId}`);
const offlineLeft = async (): Promise<string> =>
  (await page.getByTestId('offline-left').textContent()) ?? '';

async function teamEntries() {
  const { rows } = await app.server!.services.db.query<{ body: string }>(
    'select body from entries where account_id = $1 order by seq',
    [teamAccount],
  );
  return rows.map((r) => EntryBody.parse(JSON.parse(r.body)));
}

beforeAll(async () => {
  app = await startE2eApp({
    name: 'team-allowance',
    context: { viewport: { width: 1280, height: 900 } },
  });
  page = app.page;
}, 240_000);

afterAll(async () => {
  await app?.close();
});

describe('a team allowance spent offline settles on the team wallet (Chromium, real server)', () => {
  it('creates a funded team, chooses its wallet and reserves an allowance from it', async () => {
    await signUp(page, email);
    await go('Designs'); // caches the catalog for offline
    await card('design-confetti').waitFor();
    await go('Settings');
    const teams = page.getByRole('region', { name: 'Teams' });
    await teams.getByLabel('Team name').fill('Studio North');
    await teams.getByRole('button', { name: 'Create team' }).click();
    await teams.getByTestId('team-panel').waitFor();
    await teams.getByLabel('New project name').fill('Spring catalog');
    await teams.getByRole('button', { name: 'Add project' }).click();
    await teams.getByTestId('team-project').getByText('Spring catalog').waitFor();
    const { rows } = await app.server!.services.db.query<{
      account_id: string;
      member: string;
    }>(
      "select t.account_id, m.account_id as member from teams t join team_members m on m.team_id = t.id where t.name = 'Studio North'",
    );
    teamAccount = rows[0]!.account_id;
    memberId = rows[0]!.member;
    const projects = await app.server!.services.db.query<{ id: string }>(
      "select p.id from team_projects p join teams t on t.id = p.team_id where t.name = 'Studio North'",
    );
    projectId = projects.rows[0]!.id;
    await app.server!.services.ledger.grant(teamAccount, {
      operationId: 'grant-team-e2e',
      amount: 1000,
      source: 'pack',
      reason: 'test credits',
    });
    await page.getByTestId('wallet-switcher').selectOption({ label: 'Studio North (team)' });
    await page.getByTestId('team-balance').getByText('1,000 credits').waitFor({ timeout: 20_000 });

    await allowancePanel()
      .getByRole('heading', { name: 'Offline allowance · Studio North' })
      .waitFor();
    await allowancePanel().getByLabel('Amount').fill(String(RESERVE));
    await allowancePanel().getByRole('button', { name: 'Take allowance' }).click();
    await allowancePanel().getByText('Offline allowance reserved.').waitFor({ timeout: 20_000 });
    await expect
      .poll(async () => allowancePanel().getByTestId('allowance-state').textContent())
      .toMatch(new RegExp(`^${RESERVE} of ${RESERVE} left`));
    await allowancePanel().scrollIntoViewIfNeeded();
    await docsShot(page, 'team-allowance');
    const reserve = (await teamEntries()).find((e) => e.type === 'reserve');
    expect(reserve).toMatchObject({ amount: RESERVE, team: { memberId } });
  });

  it('offline, a design is redeemed from the team allowance; the team balance leaves it out', async () => {
    await app.stopServer();
    await go('Designs');
    await expect
      .poll(offlineLeft, { timeout: 20_000 })
      .toBe(`Studio North team allowance: ${RESERVE} credits left to spend offline.`);
    // The design is for a project, picked like a Studio run's (docs/architecture.md §14).
    const teamBar = page.getByTestId('design-team');
    await teamBar.getByText('Redeems from the Studio North team allowance').waitFor();
    await teamBar.getByTestId('design-project').selectOption({ label: 'Spring catalog' });
    const confetti = card('design-confetti');
    await confetti.getByRole('button', { name: /^Redeem/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Redeem Confetti dots?' });
    await expect
      .poll(async () => dialog.getByTestId('redeem-project').textContent())
      .toBe('Spring catalog');
    await docsShot(page, 'team-design-project');
    await dialog.getByRole('button', { name: /^Redeem for/ }).click();
    const message = page.getByText(
      /from the team wallet's allowance for Spring catalog; it settles on the team wallet/,
    );
    await message.waitFor({ timeout: 15_000 });
    const price = Number(
      /([\d,]+) credits? from the team/.exec((await message.textContent()) ?? '')?.[1],
    );
    expect(price).toBeGreaterThan(0);
    await expect
      .poll(offlineLeft, { timeout: 20_000 })
      .toBe(`Studio North team allowance: ${RESERVE - price} credits left to spend offline.`);
    await page
      .getByTestId('team-balance')
      .getByText(`${(1000 - price).toLocaleString('en-US')} credits`)
      .waitFor({ timeout: 20_000 });
  });

  it('back online, the spend settles on the team chain with the member and the project', async () => {
    await app.startServer();
    await expect
      .poll(async () => (await teamEntries()).filter((e) => e.type === 'settle').length, {
        timeout: 30_000,
      })
      .toBe(1);
    const settle = (await teamEntries()).find((e) => e.type === 'settle');
    expect(settle).toMatchObject({ team: { memberId, projectId } });
    await go('History');
    await page
      .getByText(/Spent offline \(1 voucher\)/)
      .first()
      .waitFor({ timeout: 20_000 });
    // The Designs card no longer says it is waiting to settle.
    await go('Designs');
    await card('design-confetti')
      .getByText('Owned · available offline')
      .waitFor({ timeout: 20_000 });
  });

  it('online, a design is paid from the team wallet itself for the project: a hold and its capture', async () => {
    await go('Designs');
    const bar = page.getByTestId('team-run');
    await bar.getByText('Charges the Studio North team wallet').waitFor({ timeout: 20_000 });
    await bar.getByTestId('run-project').selectOption({ label: 'Spring catalog' });
    const tidal = card('design-tidal');
    await tidal.getByRole('button', { name: /^Redeem/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Redeem Tidal lines?' });
    await dialog.getByRole('button', { name: /^Redeem for/ }).click();
    await page
      .getByText(/^Redeemed for [\d,]+ credits from the team wallet for Spring catalog\.$/)
      .waitFor({ timeout: 15_000 });
    await docsShot(page, 'team-design-online');
    const onTeam = (await teamEntries()).flatMap((e) =>
      (e.type === 'hold' || e.type === 'capture') && e.team?.projectId === projectId
        ? [[e.type, e.team.memberId]]
        : [],
    );
    expect(onTeam).toEqual([
      ['hold', memberId],
      ['capture', memberId],
    ]);
    // The allowance was not touched: the offline spend is all it paid.
    expect((await teamEntries()).filter((e) => e.type === 'settle')).toHaveLength(1);
  });
});
