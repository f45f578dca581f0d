import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startBrowserHost } from '../../main/browser-mode/host';
import { readConfig } from '../../server/config';
import { startServer, type RunningServer } from '../../server/start';
import { commands } from '../../server/admin/commands';
import {
  axeSerious,
  buildRendererIfStale,
  launchChromium,
  shot,
  tempDir,
  topBarBalance,
} from './harness';

/**
 * Promo codes and spending limits end to end (a code made with the admin command, redeemed in
 * the Store, refused the second time). Spending limits (browser mode, real server on PGlite, Chromium): set in Settings,
 * a bad pair refused in place, a run past the daily limit refused in the Studio with the reset
 * time, and what is used shown back in Settings.
 */
let server: RunningServer | null = null;
let host: Awaited<ReturnType<typeof startBrowserHost>> | null = null;
let browser: Browser | null = null;
let page: Page;
const serverDir = tempDir('easel-e2e-limits-server-');
const appDir = tempDir('easel-e2e-limits-app-');

const balance = (): Promise<number> => topBarBalance(page);

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

const limitsPanel = () => page.getByRole('region', { name: 'Spending limits' });

beforeAll(async () => {
  const rendererDir = buildRendererIfStale();
  server = await startServer(readConfig({ EASEL_DATA_DIR: serverDir, EASEL_LOG: 'off' }));
  host = await startBrowserHost({ serverUrl: server.url, dataDir: appDir, rendererDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.close();
  rmSync(serverDir, { recursive: true, force: true });
  rmSync(appDir, { recursive: true, force: true });
});

describe('promo codes and spending limits (browser mode, real server)', () => {
  it('signs up', async () => {
    await page.getByLabel('Email').fill(`limits-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    await expect.poll(balance, { timeout: 20_000 }).toBeGreaterThanOrEqual(20);
  });

  it('redeems a promo code in the Store once: the balance rises, a second try is refused', async () => {
    if (!server) throw new Error('no server');
    await commands['create-promo']!.run(server.services, [
      '--code',
      'WELCOME-E2E',
      '--credits',
      '15',
      '--max-redemptions',
      '10',
      '--valid-days',
      '30',
      '--operator',
      'e2e',
    ]);
    await go('Store');
    const panel = page.getByRole('region', { name: 'Promo code' });
    const before = await balance();
    await panel.getByLabel('Promo code').fill('no!');
    await panel.getByRole('button', { name: 'Redeem code' }).click();
    await panel.getByRole('alert').getByText('A promo code is 4 to 32 letters').waitFor();
    await panel.getByLabel('Promo code').fill('welcome-e2e');
    await panel.getByRole('button', { name: 'Redeem code' }).click();
    await panel
      .getByRole('status')
      .getByText(/^Code WELCOME-E2E added 15 credits, valid until /)
      .waitFor({ timeout: 15_000 });
    await expect.poll(balance, { timeout: 20_000 }).toBe(before + 15);
    await panel.scrollIntoViewIfNeeded();
    await shot(page, 'promo-01-redeemed');
    await panel.getByLabel('Promo code').fill('WELCOME-E2E');
    await panel.getByRole('button', { name: 'Redeem code' }).click();
    await panel
      .getByRole('alert')
      .getByText('You have already redeemed promo code WELCOME-E2E.')
      .waitFor({ timeout: 15_000 });
    await shot(page, 'promo-02-already-redeemed');
    expect(await balance()).toBe(before + 15);
    expect(await axeSerious(page)).toEqual([]);
  });

  it('shows no limits at first, refuses a daily limit above the monthly one, then saves', async () => {
    await go('Settings');
    const panel = limitsPanel();
    await panel
      .getByTestId('limit-usage-daily')
      .getByText(/^0 credits used today · resets/)
      .waitFor();
    expect(await panel.getByLabel('Daily limit (credits)').inputValue()).toBe('');
    await panel.getByLabel('Daily limit (credits)').fill('50');
    await panel.getByLabel('Monthly limit (credits)').fill('20');
    await panel.getByRole('button', { name: 'Save limits' }).click();
    await panel
      .getByRole('alert')
      .getByText('The daily limit cannot be above the monthly limit.')
      .waitFor();
    await panel.scrollIntoViewIfNeeded();
    await shot(page, 'limits-01-refused');
    await panel.getByLabel('Monthly limit (credits)').fill('');
    await panel.getByRole('button', { name: 'Save limits' }).click();
    await panel.getByRole('status').getByText('Spending limits saved.').waitFor();
    expect(await panel.getByTestId('limit-usage-daily').textContent()).toMatch(
      /^0 credits used today of 50 credits · resets /,
    );
    expect(await panel.getByTestId('limit-usage-monthly').textContent()).toMatch(
      /^0 credits used this month · resets /,
    );
    await shot(page, 'limits-02-saved');
    expect(await axeSerious(page)).toEqual([]);
  });

  it('a run past the daily limit is refused in the Studio with the reset time; one within it runs', async () => {
    await go('Studio');
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse in fog');
    const q = Number(await page.getByTestId('quote-credits').textContent());
    expect(q).toBeGreaterThan(0);
    // Exactly one run's worth today.
    await go('Settings');
    await limitsPanel().getByLabel('Daily limit (credits)').fill(String(q));
    await limitsPanel().getByRole('button', { name: 'Save limits' }).click();
    await limitsPanel().getByRole('status').getByText('Spending limits saved.').waitFor();

    await go('Studio');
    const before = await balance();
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse in fog');
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    await expect.poll(balance, { timeout: 40_000 }).toBe(before - q);

    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    const refusal = page.getByTestId('run-error');
    await refusal.waitFor({ timeout: 15_000 });
    expect(await refusal.textContent()).toMatch(
      new RegExp(
        `Your daily spending limit is ${q} credits?: ${q} used today, this needs ${q}\\. It resets at \\d{4}-\\d\\d-\\d\\d 00:00 UTC\\.`,
      ),
    );
    await refusal.scrollIntoViewIfNeeded();
    await shot(page, 'limits-03-run-refused');
    await page.waitForTimeout(500);
    expect(await balance()).toBe(before - q);

    await go('Settings');
    await limitsPanel()
      .getByTestId('limit-usage-daily')
      .getByText(new RegExp(`^${q} credits? used today of ${q} credits?`))
      .waitFor();
  });

  it('an offline allowance is refused when the limit is used up, and cut to what it leaves', async () => {
    const panel = page.getByRole('region', { name: 'Offline allowance' });
    await panel.getByLabel('Amount').fill('100');
    await panel.getByLabel('Days').fill('7');
    await panel.getByRole('button', { name: 'Take allowance' }).click();
    await panel
      .getByRole('status')
      .getByText(/^Your daily spending limit is \d+ credits?: \d+ used today, this needs 100\./)
      .waitFor({ timeout: 15_000 });
    await panel.scrollIntoViewIfNeeded();
    await shot(page, 'limits-04-allowance-refused');
    // Ten more credits today: the allowance is cut to exactly those ten.
    const limit = Number(await limitsPanel().getByLabel('Daily limit (credits)').inputValue());
    await limitsPanel()
      .getByLabel('Daily limit (credits)')
      .fill(String(limit + 10));
    await limitsPanel().getByRole('button', { name: 'Save limits' }).click();
    await limitsPanel().getByRole('status').getByText('Spending limits saved.').waitFor();
    await panel.getByRole('button', { name: 'Take allowance' }).click();
    await panel
      .getByRole('status')
      .getByText(
        'Offline allowance reserved: 10 credits, less than asked, to stay within your spending limits.',
      )
      .waitFor({ timeout: 15_000 });
    await panel
      .getByTestId('allowance-state')
      .getByText(/^10 of 10 left/)
      .waitFor();
    // The whole reserve counts today: Settings shows the limit used up.
    await limitsPanel()
      .getByTestId('limit-usage-daily')
      .getByText(new RegExp(`^${limit + 10} credits used today of ${limit + 10} credits`))
      .waitFor({ timeout: 15_000 });
    await shot(page, 'limits-05-allowance-cut');
  });
});
