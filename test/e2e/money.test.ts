import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type E2eApp, signUp, startE2eApp } from './app';
import { axeSerious, docsShot, topBarBalance } from './harness';

/**
 * Receipts, auto top-up in the sandbox and alerts, end to end (docs/architecture.md §7): a pack
 * bought with the card kept, its receipt page, auto top-up buying the pack when a run crosses
 * the threshold, and alerts shown once (browser mode: an in-app notice, as no web notification
 * is permitted) and not again after a sync or a reload.
 */
let app: E2eApp;
let page: Page;

const balance = (): Promise<number> => topBarBalance(page);

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}
const topupPanel = () => page.getByRole('region', { name: 'Auto top-up' });
const alertsPanel = () => page.getByRole('region', { name: 'Alerts' });
const purchaseRows = () => page.getByTestId('purchase-row');

beforeAll(async () => {
  app = await startE2eApp({ name: 'money', context: { viewport: { width: 1280, height: 900 } } });
  page = app.page;
});
afterAll(async () => app?.close());

describe('receipts, auto top-up and alerts (browser mode, sandbox)', () => {
  it('buys a pack keeping the card; the Store lists it with a receipt page', async () => {
    await signUp(page, `money-${Date.now()}@example.com`);
    // Alerts off at first, so the purchase below is the only thing on screen.
    await go('Settings');
    await alertsPanel().getByLabel('Low balance below (credits)').fill('0');
    await alertsPanel().getByLabel('Expiring within (days)').fill('0');
    await alertsPanel().getByRole('button', { name: 'Save alerts' }).click();
    await alertsPanel().getByRole('status').getByText('Alerts saved.').waitFor();

    await go('Store');
    await page.getByText('No purchases yet.').waitFor({ timeout: 15_000 });
    const before = await balance();
    const opened = app.context.waitForEvent('page', { timeout: 15_000 });
    await page
      .getByRole('listitem')
      .filter({ hasText: '100 credits' })
      .getByRole('button', { name: /^Buy for/ })
      .click();
    const checkout = await opened;
    await checkout.waitForLoadState();
    await checkout.getByLabel('Yes — a test card', { exact: true }).check();
    await docsShot(checkout, 'money-01-sandbox-keep-card');
    await checkout.getByRole('button', { name: /^Pay/ }).click();
    await checkout.getByText('your purchase is confirmed').waitFor();
    await checkout.close();
    await expect.poll(balance, { timeout: 30_000 }).toBe(before + 100);

    await expect.poll(() => purchaseRows().count(), { timeout: 15_000 }).toBe(1);
    const row = purchaseRows().first();
    expect(await row.textContent()).toMatch(/100 credits · sandbox\$9\.90100Receipt/);
    await page.getByTestId('purchase-list').scrollIntoViewIfNeeded();
    await docsShot(page, 'money-02-purchase-list');
    const receiptTab = app.context.waitForEvent('page', { timeout: 15_000 });
    await row.getByRole('button', { name: /^Receipt for 100 credits/ }).click();
    const receipt = await receiptTab;
    await receipt.waitForLoadState();
    await receipt.getByRole('heading', { name: 'Receipt' }).waitFor();
    expect(await receipt.textContent('body')).toMatch(/Sandbox — no real payment was made\./);
    expect(await receipt.textContent('body')).toMatch(/\$9\.90 \(sandbox\)/);
    await docsShot(receipt, 'money-03-receipt');
    await receipt.close();
    expect(await axeSerious(page)).toEqual([]);
  });

  it('auto top-up buys the pack when a run crosses the threshold, and the Store lists it', async () => {
    await go('Studio');
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse in fog');
    const q = Number(await page.getByTestId('quote-credits').textContent());
    expect(q).toBeGreaterThan(0);
    const start = await balance();

    await go('Settings');
    const panel = topupPanel();
    await panel
      .getByTestId('topup-card')
      .getByText(/^Card kept: Sandbox test card ending 4242\./)
      .waitFor({ timeout: 15_000 });
    await panel.getByLabel('Top up automatically').check();
    // Just below the balance: the next run crosses it.
    await panel.getByLabel('Below (credits)').fill(String(start - Math.max(1, Math.floor(q / 2))));
    await panel.getByLabel('Buy').selectOption('pack-100');
    await panel.getByLabel('Monthly cap (USD)').fill('5');
    await panel.getByRole('button', { name: 'Save auto top-up' }).click();
    await panel
      .getByRole('alert')
      .getByText(/^The monthly cap is an amount of money, at least the pack's price \(\$9\.90\)\./)
      .waitFor();
    await panel.getByLabel('Monthly cap (USD)').fill('20');
    await panel.getByRole('button', { name: 'Save auto top-up' }).click();
    await panel.getByRole('status').getByText('Auto top-up is on.').waitFor();

    await go('Studio');
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse in fog');
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    await expect.poll(balance, { timeout: 60_000 }).toBe(start - q + 100);

    await go('Settings');
    await topupPanel()
      .getByTestId('topup-attempts')
      .getByText(/\$9\.90 · Bought/)
      .waitFor({ timeout: 15_000 });
    await topupPanel()
      .getByTestId('topup-card')
      .getByText(/\$9\.90 of \$20\.00 used this month/)
      .waitFor();
    await topupPanel().scrollIntoViewIfNeeded();
    await docsShot(page, 'money-04-auto-topup-settings');
    await go('Store');
    await expect.poll(() => purchaseRows().count(), { timeout: 15_000 }).toBe(2);
    expect(await purchaseRows().first().textContent()).toMatch(/100 credits · auto top-up/);
    await page.getByTestId('purchase-list').scrollIntoViewIfNeeded();
    await docsShot(page, 'money-05-purchase-list-topup');
  });

  it('alerts once per crossing: low balance and credits expiring, not again on sync or reload', async () => {
    await go('Settings');
    const b = await balance();
    // The pack's credits expire in 30 days: within 30 days ahead they are "expiring".
    await alertsPanel()
      .getByLabel('Low balance below (credits)')
      .fill(String(b + 1000));
    await alertsPanel().getByLabel('Expiring within (days)').fill('30');
    await alertsPanel().getByRole('button', { name: 'Save alerts' }).click();
    await page.getByTestId('alert-low-balance').waitFor({ timeout: 15_000 });
    await page.getByTestId('alert-expiring').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('alert-low-balance').textContent()).toContain(
      `below your alert at ${(b + 1000).toLocaleString('en-US')} credits`,
    );
    expect(await page.getByTestId('alert-expiring').textContent()).toMatch(
      /Credits expiring soon\. \d[\d,]* credits expire on /,
    );
    await page.getByTestId('alert-low-balance').scrollIntoViewIfNeeded();
    await docsShot(page, 'money-06-alerts');
    expect(await axeSerious(page)).toEqual([]);
    const dismiss = page.locator('.alert-banners').getByRole('button', { name: 'Dismiss' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();

    // A sync (a run moves the ledger) and a reload: nothing new crossed, nothing shown.
    await page.reload();
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.getByTestId('balance').getByText(/\d/).waitFor({ timeout: 20_000 });
    await page.waitForTimeout(2000);
    expect(await page.getByTestId('alert-low-balance').count()).toBe(0);
    expect(await page.getByTestId('alert-expiring').count()).toBe(0);

    // Back above the threshold, then below again: a new crossing, one new alert.
    await go('Settings');
    await alertsPanel().getByLabel('Low balance below (credits)').fill('1');
    await alertsPanel().getByRole('button', { name: 'Save alerts' }).click();
    await alertsPanel().getByRole('status').getByText('Alerts saved.').waitFor();
    await page.waitForTimeout(1000);
    await alertsPanel()
      .getByLabel('Low balance below (credits)')
      .fill(String(b + 1000));
    await alertsPanel().getByRole('button', { name: 'Save alerts' }).click();
    await page.getByTestId('alert-low-balance').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('alert-low-balance').count()).toBe(1);
    expect(await page.getByTestId('alert-expiring').count()).toBe(0);
  });

  it('when the bank asks for authentication, nothing is bought and the user is told once', async () => {
    // Keep the sandbox's card whose bank asks for authentication.
    await go('Store');
    const opened = app.context.waitForEvent('page', { timeout: 15_000 });
    await page
      .getByRole('listitem')
      .filter({ hasText: '100 credits' })
      .getByRole('button', { name: /^Buy for/ })
      .click();
    const checkout = await opened;
    await checkout.waitForLoadState();
    await checkout
      .getByLabel('Yes — a test card whose bank asks for authentication', { exact: true })
      .check();
    await checkout.getByRole('button', { name: /^Pay/ }).click();
    await checkout.getByText('your purchase is confirmed').waitFor();
    await checkout.close();
    await expect.poll(() => purchaseRows().count(), { timeout: 30_000 }).toBe(3);

    await go('Studio');
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse in fog');
    const q = Number(await page.getByTestId('quote-credits').textContent());
    const start = await balance();
    await go('Settings');
    const panel = topupPanel();
    await panel
      .getByTestId('topup-card')
      .getByText(/^Card kept: Sandbox card that asks for authentication\./)
      .waitFor({ timeout: 15_000 });
    await panel.getByLabel('Below (credits)').fill(String(start - Math.max(1, Math.floor(q / 2))));
    await panel.getByRole('button', { name: 'Save auto top-up' }).click();
    await panel.getByRole('status').getByText('Auto top-up is on.').waitFor();

    await go('Studio');
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse in fog');
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    await expect.poll(balance, { timeout: 60_000 }).toBe(start - q);
    const told = page.getByTestId('alert-topup-action');
    await told.waitFor({ timeout: 20_000 });
    expect(await told.textContent()).toMatch(
      /Auto top-up needs you\. Your bank asks you to confirm this payment, so nothing was charged/,
    );
    await go('Settings');
    await topupPanel()
      .getByRole('alert')
      .getByText(/^Your bank asks you to confirm this payment/)
      .waitFor({ timeout: 15_000 });
    await topupPanel()
      .getByTestId('topup-attempts')
      .getByText(/\$9\.90 · Needs you/)
      .waitFor();
    await topupPanel().scrollIntoViewIfNeeded();
    await docsShot(page, 'money-07-auto-topup-needs-you');
    expect(await balance()).toBe(start - q);
    // Told once: a reload shows it in Settings, not as a new alert.
    await page.reload();
    await page.getByTestId('balance').getByText(/\d/).waitFor({ timeout: 20_000 });
    await page.waitForTimeout(2000);
    expect(await page.getByTestId('alert-topup-action').count()).toBe(0);
  });
});
