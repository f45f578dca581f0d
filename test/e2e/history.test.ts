import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CatalogResponse } from '../../shared/api/purchases';
import { type E2eApp, startE2eApp } from './app';
import { docsShot, topBarBalance } from './harness';

/**
 * History as people read it (docs/architecture.md §9): one row per thing done or got, titled
 * with the prompt, the design and the pack; searchable, filterable, expandable into its signed
 * entries, exported as CSV; the same offline.
 */
let app: E2eApp | null = null;
let page: Page;
const email = `hana-${Date.now()}@example.com`;
const password = 'correct horse battery';
// A prompt a spreadsheet would take for a formula (it starts with "+"; prompt weights do): the
// CSV must keep it as text, quotes and all.
const prompt = '+"golden hour" a calm harbour at dawn, watercolour';
let packTitle = '';
let designTitle = '';

const balance = (): Promise<number> => topBarBalance(page);
const countText = async (): Promise<string> =>
  (await page.getByTestId('history-count').textContent()) ?? '';

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

const docShot = (name: string): Promise<void> => docsShot(page, name);

async function search(text: string): Promise<void> {
  await page.getByLabel('Search').fill(text);
}

beforeAll(async () => {
  app = await startE2eApp({ name: 'history', context: { acceptDownloads: true } });
  page = app.page;
});

afterAll(async () => {
  await app?.close();
});

describe('History as activities (browser mode, real server)', () => {
  it('a run, a design and a pack purchase', async () => {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('balance').waitFor({ timeout: 20_000 });
    await go('Studio');
    await expect.poll(balance, { timeout: 20_000 }).toBeGreaterThanOrEqual(20);

    const before = await balance();
    await page.getByLabel('Prompt', { exact: true }).fill(prompt);
    const q = Number(await page.getByTestId('quote-credits').textContent());
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    await expect.poll(balance, { timeout: 40_000 }).toBe(before - q);

    // A pack, through the sandbox checkout.
    const catalog = CatalogResponse.parse(
      await (await fetch(`${app?.serverUrl ?? ''}/v1/catalog`)).json(),
    );
    const pack = catalog.items.find((i) => i.type === 'pack');
    if (pack?.type !== 'pack') throw new Error('the catalog has no pack');
    packTitle = pack.title;
    await go('Store');
    // Browser mode: the checkout opens in a tab on the Buy click.
    const opened = page.context().waitForEvent('page', { timeout: 15_000 });
    await page
      .locator('li.pack')
      .filter({ hasText: pack.title })
      .getByRole('button', { name: /^Buy for/ })
      .click();
    const status = page.getByTestId('purchase-status');
    const checkout = await opened;
    await checkout.waitForLoadState();
    await checkout.getByRole('button', { name: /^Pay/ }).click();
    await checkout.waitForLoadState();
    await checkout.close();
    await status.getByText('Credits added to your wallet.').waitFor({ timeout: 30_000 });
    await expect
      .poll(balance, { timeout: 20_000 })
      .toBe(before - q + pack.credits + pack.bonusCredits);

    // The cheapest design.
    await go('Designs');
    const buttons = page.getByRole('button', { name: /^Redeem for/ });
    await buttons.first().waitFor({ timeout: 10_000 });
    const card = buttons.first().locator('xpath=ancestor::li[1]');
    designTitle = ((await card.locator('.card-title').textContent()) ?? '').trim();
    expect(designTitle).not.toBe('');
    const beforeDesign = await balance();
    await buttons.first().click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /^Redeem for/ })
      .click();
    await expect.poll(balance, { timeout: 20_000 }).toBeLessThan(beforeDesign);
  });

  it('shows one row per activity, titled with the prompt, the design and the pack with its price', async () => {
    await go('History');
    const titles = page.locator('.vrow .activity-toggle');
    await expect
      .poll(async () => titles.allTextContents(), { timeout: 20_000 })
      .toEqual(expect.arrayContaining([prompt, designTitle, packTitle]));
    const list = await titles.allTextContents();
    // Newest first: the design, the pack, the run, then the welcome/daily credits.
    expect(list.indexOf(designTitle)).toBeLessThan(list.indexOf(packTitle));
    expect(list.indexOf(packTitle)).toBeLessThan(list.indexOf(prompt));
    const run = page.locator('.vrow').filter({ hasText: prompt });
    expect(await run.locator('.status-chip').textContent()).toBe('charged');
    expect(await run.locator('.amount').textContent()).toMatch(/^−\d+ credits$/);
    const packRow = page.locator('.vrow').filter({ hasText: packTitle });
    expect(await packRow.textContent()).toMatch(/paid \$\d+\.\d\d/);
    expect(await packRow.locator('.amount').textContent()).toMatch(/^\+[\d,]+ credits$/);
    expect(await countText()).toMatch(/^\d+ activities · \d+ records, all verified$/);
    await docShot('history');
  });

  it('expands a run into its hold and capture, each with seq, hash and verification', async () => {
    const run = page.locator('.vrow').filter({ hasText: prompt });
    await run.getByRole('button', { name: prompt }).click();
    const entries = run.locator('.activity-entries li');
    await expect.poll(async () => entries.count(), { timeout: 10_000 }).toBe(2);
    expect(await entries.nth(0).textContent()).toMatch(
      /^#\d+Set aside for the run\d+ credits set aside[0-9a-f]{16}…✓ Verified$/,
    );
    expect(await entries.nth(1).textContent()).toMatch(
      /^#\d+Charged−\d+ credits[0-9a-f]{16}…✓ Verified$/,
    );
    await docShot('history-expanded');
    await run.getByRole('button', { name: prompt }).click();
  });

  it('searches prompts, design titles and pack names; filters with activity words; says when nothing matches', async () => {
    await search('harbour');
    await expect.poll(countText).toMatch(/^1 activity · /);
    expect(await page.locator('.vrow .activity-toggle').allTextContents()).toEqual([prompt]);
    await docShot('history-search');
    await search(designTitle.slice(0, 6));
    await expect.poll(countText).toMatch(/^1 activity · /);
    await search(packTitle);
    await expect.poll(countText).toMatch(/^1 activity · /);
    await search('no such thing');
    await expect.poll(countText).toMatch(/^No activities match “no such thing”\./);
    await search('');
    await page.getByLabel('Activity').selectOption({ label: 'Purchase' });
    await expect.poll(countText).toMatch(/^1 activity · /);
    await page.getByLabel('Activity').selectOption({ label: 'Generate' });
    await expect.poll(countText).toMatch(/^1 activity · /);
    await page.getByLabel('Activity').selectOption({ label: 'All activities' });
  });

  it('exports one CSV row per activity, formula-safe, and the entries with their hashes', async () => {
    const [activities] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export activities (CSV)' }).click(),
    ]);
    const csv = readFileSync((await activities.path()) ?? '', 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe(
      '"date","activity","description","credits","balance after","kind","status","job/item id","entry seqs"',
    );
    const runLine = csv.find((l) => l.includes('harbour')) ?? '';
    expect(runLine).toContain(`"'+""golden hour"" a calm harbour at dawn, watercolour — `);
    expect(runLine).toMatch(
      /^"[^"]+","Generate",".*","-\d+","\d+","image","charged","job_[^"]+","\d+ \d+"$/,
    );
    const activityRows = csv.length - 1;
    expect(await countText()).toMatch(new RegExp(`^${activityRows} activities`));

    const [entries] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export audit log (CSV)' }).click(),
    ]);
    const lines = readFileSync((await entries.path()) ?? '', 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toContain('"hash"');
    expect(lines.slice(1).every((l) => /"[0-9a-f]{64}"$/.test(l))).toBe(true);
    expect(await countText()).toContain(`${lines.length - 1} records`);
  });

  it('explains the wallet in plain words, with labelled charts and this month’s spending', async () => {
    await go('Wallet');
    const explained = page.getByTestId('balance-explained');
    await explained.waitFor();
    const text = (await explained.textContent()) ?? '';
    // Daily and welcome credits were spent first (spending order): what is left is the pack's.
    expect(text).toMatch(/^\d+ pack credits expire on [A-Z][a-z]{2} \d+, \d{4}\.$/);
    expect(text).not.toMatch(/signup|daily\//);
    const month = page.getByTestId('month-breakdown');
    await month.waitFor({ timeout: 10_000 });
    expect(await month.textContent()).toMatch(/Design.*credits.*Generate.*credits/);
    // Every day of the spending chart is labelled, and its axis has values.
    const spend = page.locator('figure.chart').first();
    expect(await spend.locator('text.tick-x').count()).toBeGreaterThanOrEqual(30);
    expect(await spend.locator('text.tick-y').count()).toBe(3);
    await docShot('wallet');
    await page.locator('figure.chart').first().scrollIntoViewIfNeeded();
    await docShot('wallet-charts');
    await go('History');
  });

  it('turns the badge Offline within 2 s of losing the server, and is the same offline after a reload', async () => {
    // History was just opened: its rows and count paint a moment after its heading.
    const rows = page.locator('.vrow .activity-toggle');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(countText, { timeout: 10_000 }).toMatch(/records/);
    const online = await rows.allTextContents();
    const count = await countText();
    await app?.stopServer();
    // The heartbeat stream ends with the server: the badge says so within two seconds.
    await expect
      .poll(async () => (await page.getByTestId('sync-state').textContent()) ?? '', {
        timeout: 2000,
        interval: 100,
      })
      .toMatch(/Offline/);
    await page.reload();
    await page.getByTestId('balance').waitFor({ timeout: 20_000 });
    await go('History');
    await expect
      .poll(async () => page.locator('.vrow .activity-toggle').allTextContents(), {
        timeout: 20_000,
      })
      .toEqual(online);
    // Offline the stored chain is verified again with main's keys before History says so.
    await expect.poll(countText, { timeout: 10_000 }).toBe(count);
  });
});
