import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { type BrowserHost, startBrowserHost } from '../../main/browser-mode/host';
import { type E2eApp, signUp, startE2eApp, testPassword } from './app';
import { defaultPriceBook } from '../../shared/pricing/fixtures/default';
import { buildRendererIfStale, shot, tempDir, topBarBalance } from './harness';

/**
 * A disliked image as the creator sees it (docs/architecture.md §2, §9): within the window a
 * generated image's dislike puts its credits back on the wallet, once; History shows the refund
 * as its own row, naming the image; the Studio and the Gallery mark the image disliked. A
 * second device that does not know of the dislike cannot refund the image again.
 */
let app: E2eApp | null = null;
let page: Page;
let otherHost: BrowserHost | null = null;
let otherContext: BrowserContext | null = null;
const otherDir = tempDir('easel-e2e-refund-other-');
let memberHost: BrowserHost | null = null;
let memberContext: BrowserContext | null = null;
const memberDir = tempDir('easel-e2e-refund-member-');
const email = `rosa-${Date.now()}@example.com`;
const prompt = 'a paper boat on a rainy window sill';

async function go(p: Page, label: string): Promise<void> {
  await p.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await p.getByRole('heading', { level: 1, name: label }).waitFor();
}

// Timeouts allow for generation on two busy shared cores (docs/architecture.md §12).
/** The History rows whose title is exactly `title`. */
const rowsTitled = (p: Page, title: string) =>
  p
    .getByRole('table', { name: 'Activities', exact: true })
    .locator('.vrow')
    .filter({ has: p.locator('.activity-toggle').getByText(title, { exact: true }) });
/** The History rows titled as the refund of this prompt's image. */
const refundRows = (p: Page) => rowsTitled(p, `Refund: ${prompt}`);

/** Refund entries in the account's signed ledger, as the server stores them. */
async function refundEntries(): Promise<number> {
  const db = app?.server?.services.db;
  if (!db) throw new Error('no server');
  const { rows } = await db.query<{ n: number }>(
    "select count(*)::int as n from entries e join accounts a on a.id = e.account_id where a.email = $1 and e.type = 'refund'",
    [email],
  );
  return rows[0]?.n ?? -1;
}

beforeAll(async () => {
  app = await startE2eApp({ name: 'refund' });
  page = app.page;
  // A book that gives back what a disliked image cost (the standard book gives back 4 of 6):
  // the balance then returns to exactly where it was.
  await app.server?.services.catalog.publishPriceBook({
    ...defaultPriceBook,
    version: defaultPriceBook.version + 1,
    publishedAt: new Date().toISOString(),
    refunds: { dislikedImage: { type: 'image-price' }, windowHours: 24 },
  });
  await page.reload();
});

afterAll(async () => {
  await memberContext?.close();
  await memberHost?.close();
  await otherContext?.close();
  await otherHost?.close();
  await app?.close();
  rmSync(otherDir, { recursive: true, force: true });
  rmSync(memberDir, { recursive: true, force: true });
});

/** The app on its own device (a browser-mode host with its own folder and browser context). */
async function openDevice(
  dataDir: string,
  name: string,
): Promise<{ host: BrowserHost; context: BrowserContext; page: Page }> {
  const host = await startBrowserHost({
    serverUrl: app?.serverUrl ?? '',
    dataDir,
    rendererDir: buildRendererIfStale(),
  });
  const context = await app?.browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (!context) throw new Error('no browser');
  const p = await context.newPage();
  p.on('pageerror', (e) => console.error(`${name} page error:`, e.message));
  await p.goto(host.url);
  return { host, context, page: p };
}

describe('Disliking an image on a personal wallet (browser mode, real server)', () => {
  let before = 0;
  let cost = 0;
  let back = 0;

  it('generates an image and offers its dislike with what it gives back', async () => {
    await signUp(page, email);
    before = await topBarBalance(page);
    await page.getByTestId('count-1').check();
    await page.getByLabel('Prompt', { exact: true }).fill(prompt);
    cost = Number(await page.getByTestId('quote-credits').textContent());
    expect(cost).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    await expect.poll(() => topBarBalance(page), { timeout: 150_000 }).toBe(before - cost);
    const tile = page.getByTestId('result-tile').first();
    const dislike = tile
      .getByRole('group', { name: 'Image 1' })
      .getByRole('button', { name: /^Dislike \(\+\d+ credits?, \d+ (h|min) left\)$/ });
    await dislike.waitFor({ timeout: 30_000 });
    back = Number(/\+(\d+) credit/.exec((await dislike.textContent()) ?? '')?.[1]);
    expect(back).toBe(cost);
    await shot(page, 'refund-before');
  }, 240_000);

  it('gives the credits back on the dislike and marks the image disliked', async () => {
    const tile = page.getByTestId('result-tile').first();
    await tile.getByRole('button', { name: /^Dislike / }).click();
    await tile.getByText(`Disliked · ${back} credits returned`, { exact: true }).waitFor();
    expect(await tile.getByRole('button', { name: /^Dislike / }).count()).toBe(0);
    await expect.poll(() => topBarBalance(page), { timeout: 30_000 }).toBe(before);
    expect(await refundEntries()).toBe(1);
    await shot(page, 'refund-studio');
  }, 120_000);

  it('shows the refund in History as its own row, naming the image, with the amount', async () => {
    await go(page, 'History');
    await refundRows(page).first().waitFor({ timeout: 30_000 });
    expect(await refundRows(page).count()).toBe(1);
    const row = refundRows(page);
    expect(await row.locator('.activity-detail').first().textContent()).toBe('disliked image');
    expect(await row.locator('.amount').textContent()).toBe(`+${back} credits`);
    expect(await row.locator('.status-chip').textContent()).toBe('refunded');
    expect(Number(await row.locator('.balance-after').textContent())).toBe(before);
    // The run itself stays charged: the refund is a separate, later row.
    const run = rowsTitled(page, prompt);
    expect(await run.locator('.status-chip').textContent()).toBe('charged');
    expect(await run.locator('.amount').textContent()).toBe(`−${cost} credits`);
    // The refund row pictures the image it refunds (the one the run made), not an icon.
    const runPicture = run.locator('img.activity-thumb');
    const refundPicture = row.locator('img.activity-thumb');
    await refundPicture.waitFor({ timeout: 10_000 });
    const src = await runPicture.getAttribute('src');
    expect(src).toMatch(/^blob:/);
    expect(await refundPicture.getAttribute('src')).toBe(src);
    await shot(page, 'refund-history');
  }, 120_000);

  it('shows the image disliked in the Gallery, with no second dislike', async () => {
    await go(page, 'Gallery');
    const card = page.getByTestId('gallery-item').filter({ hasText: prompt });
    await card.waitFor({ timeout: 30_000 });
    await card.getByText('Disliked', { exact: true }).waitFor();
    expect(await card.getByRole('button', { name: /^Dislike / }).count()).toBe(0);
    await shot(page, 'refund-gallery');
  });

  it('on a second device that does not know of the dislike, a dislike refunds nothing more', async () => {
    const device = await openDevice(otherDir, 'second device');
    otherHost = device.host;
    otherContext = device.context;
    const other = device.page;
    const toggle = other.getByRole('button', { name: 'I already have an account' });
    if (await toggle.isVisible()) await toggle.click();
    await other.getByLabel('Email').fill(email);
    await other.getByLabel('Password').fill(testPassword);
    await other.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    // A new device shows "…" until its first pull, then the balance: never a 0 in between.
    expect(await topBarBalance(other)).toBe(before);
    await go(other, 'Gallery');
    const card = other.getByTestId('gallery-item').filter({ hasText: prompt });
    await card.waitFor({ timeout: 30_000 });
    await shot(other, 'refund-other-gallery');
    // This device never saw the dislike: it offers it, and the server answers with the one
    // refund already made (the same operation), writing nothing.
    const dislike = card.getByRole('button', { name: /^Dislike / });
    await dislike.click();
    await card.getByText(`Disliked · ${back} credits returned`, { exact: true }).waitFor();
    await shot(other, 'refund-other-after');
    expect(await refundEntries()).toBe(1);
    await go(other, 'History');
    await refundRows(other).first().waitFor({ timeout: 30_000 });
    expect(await refundRows(other).count()).toBe(1);
    // Daily and welcome credits, the run's hold and capture, one refund.
    await expect
      .poll(async () => other.getByTestId('history-count').textContent(), { timeout: 30_000 })
      .toBe('4 activities · 5 records, all verified');
    expect(await topBarBalance(other)).toBe(before);
    // And the first device sees the same: one refund, the balance where it was.
    await page.reload();
    await go(page, 'History');
    await refundRows(page).first().waitFor({ timeout: 30_000 });
    expect(await refundRows(page).count()).toBe(1);
    expect(await topBarBalance(page)).toBe(before);
  }, 120_000);
});

describe('Disliking an image of a team run (two members, one server)', () => {
  const memberEmail = `milo-${Date.now()}@example.com`;
  let member: Page;
  let cost = 0;
  const teamPrompt = 'a kite over the spring dunes';
  const budgetLine = (left: number): string =>
    `Left this month — you: no limit · Spring catalog: ${left} credits`;

  it('the owner funds a team with a budgeted project; the member joins and runs on it', async () => {
    const device = await openDevice(memberDir, 'member');
    memberHost = device.host;
    memberContext = device.context;
    member = device.page;
    await signUp(member, memberEmail);
    const server = app?.server;
    if (!server) throw new Error('no server');
    const { rows } = await server.services.db.query<{ id: string; email: string }>(
      'select id, email from accounts where email = any($1)',
      [[email, memberEmail]],
    );
    const idOf = (e: string): string => rows.find((r) => r.email === e)?.id ?? '';
    const { teams, teamWallet, ledger } = server.services;
    const team = await teams.create(idOf(email), 'Studio North');
    const project = await teams.createProject(team.teamId, idOf(email), 'Spring catalog');
    const invite = await teams.invite(team.teamId, idOf(email), {
      email: memberEmail,
      role: 'member',
    });
    await teams.accept(idOf(memberEmail), invite.token);
    await ledger.grant(team.accountId, {
      operationId: 'e2e-refund-team-fund',
      amount: 1000,
      source: 'pack',
      reason: 'team pack',
    });
    await teamWallet.setBudget(team.teamId, idOf(email), {
      operationId: 'e2e-refund-team-budget',
      scope: 'project',
      subjectId: project.projectId,
      monthly: 100,
    });

    await member.reload();
    await member.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    const personal = await topBarBalance(member);
    await member.getByTestId('wallet-switcher').waitFor({ timeout: 30_000 });
    await member.getByTestId('wallet-switcher').selectOption({ label: 'Studio North (team)' });
    const bar = member.getByRole('group', { name: 'Team wallet' });
    await bar.getByTestId('run-project').selectOption({ label: 'Spring catalog' });
    await bar.getByText(budgetLine(100), { exact: true }).waitFor({ timeout: 30_000 });
    await member.getByTestId('count-1').check();
    await member.getByLabel('Prompt', { exact: true }).fill(teamPrompt);
    cost = Number(await member.getByTestId('quote-credits').textContent());
    expect(cost).toBeGreaterThan(0);
    await member.getByRole('button', { name: 'Generate 1 image' }).click();
    const runs = member.getByRole('region', { name: 'Studio North runs' });
    await runs.getByTestId('run-succeeded').first().waitFor({ timeout: 150_000 });
    await bar.getByText(budgetLine(100 - cost), { exact: true }).waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => member.getByTestId('team-balance').textContent(), { timeout: 30_000 })
      .toContain(`${1000 - cost} credits`);
    expect(await topBarBalance(member)).toBe(personal);
  }, 240_000);

  it('the member’s dislike returns the credits to the team wallet and the budget', async () => {
    const personal = await topBarBalance(member);
    const tile = member.getByTestId('result-tile').first();
    await tile
      .getByRole('button', { name: new RegExp(`^Dislike \\(\\+${cost} credits?, `) })
      .click();
    // Said where they went: the team's wallet, not the member's own balance in the top bar.
    await tile
      .getByText(`Disliked · ${cost} credits returned to the Studio North team wallet`, {
        exact: true,
      })
      .waitFor();
    const bar = member.getByRole('group', { name: 'Team wallet' });
    await bar.getByText(budgetLine(100), { exact: true }).waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => member.getByTestId('team-balance').textContent(), { timeout: 30_000 })
      .toContain('1,000 credits');
    // The team paid and the team got it back: the member's own wallet never moved.
    expect(await topBarBalance(member)).toBe(personal);
    await shot(member, 'refund-team-member');
  }, 120_000);

  it('the owner sees the refund in the team’s History, by the member, for the project', async () => {
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    await page.getByTestId('wallet-switcher').waitFor({ timeout: 30_000 });
    await page.getByTestId('wallet-switcher').selectOption({ label: 'Studio North (team)' });
    await go(page, 'History');
    const history = page.getByTestId('team-history');
    const titled = (title: string) =>
      history
        .locator('.vrow')
        .filter({ has: page.locator('.activity-toggle').getByText(title, { exact: true }) });
    // The refund is its own activity, named after the run's prompt (docs/architecture.md §14).
    const refund = titled(`Refund: ${teamPrompt}`);
    await refund.first().waitFor({ timeout: 30_000 });
    expect(await refund.count()).toBe(1);
    expect(await refund.locator('.activity-detail').first().textContent()).toBe('disliked image');
    expect(await refund.locator('.cell.amount').textContent()).toBe(`+${cost} credits`);
    expect(await refund.getByTestId('team-history-member').textContent()).toBe(memberEmail);
    expect(await refund.locator('.cell.project').textContent()).toBe('Spring catalog');
    expect(await refund.locator('.status-chip').textContent()).toBe('refunded');
    // The run itself: one row, charged, as in the personal History.
    const run = titled(teamPrompt);
    expect(await run.count()).toBe(1);
    expect(await run.locator('.cell.amount').textContent()).toBe(`−${cost} credits`);
    expect(await run.locator('.status-chip').textContent()).toBe('charged');
    // The project's budget, named after the project it limits.
    const budget = titled('Monthly budget: Spring catalog');
    expect(await budget.count()).toBe(1);
    expect(await budget.locator('.activity-detail').first().textContent()).toBe(
      'Project budget set to 100 credits a month',
    );
    await shot(page, 'refund-team-history');
    // The cost report takes the refunded run's credits off the project and the member.
    await go(page, 'Wallet');
    await page.getByTestId('team-wallet-balance').getByText('1,000', { exact: true }).waitFor();
    const spring = page
      .getByTestId('team-report-projects')
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'Spring catalog', exact: true }) });
    await spring.waitFor({ timeout: 30_000 });
    // One run, and nothing spent on it: its credits came back.
    expect((await spring.getByRole('cell').allTextContents()).slice(0, 2)).toEqual(['1', '0']);
    expect(await page.getByTestId('team-report-total').locator('strong').textContent()).toBe(
      '0 credits',
    );
    await shot(page, 'refund-team-wallet');
  }, 120_000);
});
