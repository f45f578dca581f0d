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
const email = `rosa-${Date.now()}@example.com`;
const prompt = 'a paper boat on a rainy window sill';

async function go(p: Page, label: string): Promise<void> {
  await p.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await p.getByRole('heading', { level: 1, name: label }).waitFor();
}

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
  await otherContext?.close();
  await otherHost?.close();
  await app?.close();
  rmSync(otherDir, { recursive: true, force: true });
});

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
    await expect.poll(() => topBarBalance(page), { timeout: 60_000 }).toBe(before - cost);
    const tile = page.getByTestId('result-tile').first();
    const dislike = tile
      .getByRole('group', { name: 'Image 1' })
      .getByRole('button', { name: /^Dislike \(\+\d+ credits?, \d+ (h|min) left\)$/ });
    await dislike.waitFor({ timeout: 60_000 });
    back = Number(/\+(\d+) credit/.exec((await dislike.textContent()) ?? '')?.[1]);
    expect(back).toBe(cost);
    await shot(page, 'refund-before');
  });

  it('gives the credits back on the dislike and marks the image disliked', async () => {
    const tile = page.getByTestId('result-tile').first();
    await tile.getByRole('button', { name: /^Dislike / }).click();
    await tile.getByText(`Disliked · ${back} credits returned`, { exact: true }).waitFor();
    expect(await tile.getByRole('button', { name: /^Dislike / }).count()).toBe(0);
    await expect.poll(() => topBarBalance(page), { timeout: 20_000 }).toBe(before);
    expect(await refundEntries()).toBe(1);
    await shot(page, 'refund-studio');
  });

  it('shows the refund in History as its own row, naming the image, with the amount', async () => {
    await go(page, 'History');
    await refundRows(page).first().waitFor({ timeout: 20_000 });
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
  });

  it('shows the image disliked in the Gallery, with no second dislike', async () => {
    await go(page, 'Gallery');
    const card = page.getByTestId('gallery-item').filter({ hasText: prompt });
    await card.waitFor({ timeout: 20_000 });
    await card.getByText('Disliked', { exact: true }).waitFor();
    expect(await card.getByRole('button', { name: /^Dislike / }).count()).toBe(0);
    await shot(page, 'refund-gallery');
  });

  it('on a second device that does not know of the dislike, a dislike refunds nothing more', async () => {
    otherHost = await startBrowserHost({
      serverUrl: app?.serverUrl ?? '',
      dataDir: otherDir,
      rendererDir: buildRendererIfStale(),
    });
    const ctx = await app?.browser.newContext({ viewport: { width: 1280, height: 820 } });
    if (!ctx) throw new Error('no browser');
    otherContext = ctx;
    const other = await ctx.newPage();
    other.on('pageerror', (e) => console.error('second device page error:', e.message));
    await other.goto(otherHost.url);
    const toggle = other.getByRole('button', { name: 'I already have an account' });
    if (await toggle.isVisible()) await toggle.click();
    await other.getByLabel('Email').fill(email);
    await other.getByLabel('Password').fill(testPassword);
    await other.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    // A new device shows 0 for a moment while it first verifies (nothing stored yet): wait.
    await expect.poll(() => topBarBalance(other), { timeout: 20_000 }).toBe(before);
    await go(other, 'Gallery');
    const card = other.getByTestId('gallery-item').filter({ hasText: prompt });
    await card.waitFor({ timeout: 20_000 });
    await shot(other, 'refund-other-gallery');
    // This device never saw the dislike: it offers it, and the server answers with the one
    // refund already made (the same operation), writing nothing.
    const dislike = card.getByRole('button', { name: /^Dislike / });
    await dislike.click();
    await card.getByText(`Disliked · ${back} credits returned`, { exact: true }).waitFor();
    await shot(other, 'refund-other-after');
    expect(await refundEntries()).toBe(1);
    await go(other, 'History');
    await refundRows(other).first().waitFor({ timeout: 20_000 });
    expect(await refundRows(other).count()).toBe(1);
    // Daily and welcome credits, the run's hold and capture, one refund.
    await expect
      .poll(async () => other.getByTestId('history-count').textContent(), { timeout: 20_000 })
      .toBe('4 activities · 5 records, all verified');
    expect(await topBarBalance(other)).toBe(before);
    // And the first device sees the same: one refund, the balance where it was.
    await page.reload();
    await go(page, 'History');
    await refundRows(page).first().waitFor({ timeout: 20_000 });
    expect(await refundRows(page).count()).toBe(1);
    expect(await topBarBalance(page)).toBe(before);
  });
});
