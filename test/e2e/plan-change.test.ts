import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { type E2eApp, signUp, startE2eApp } from './app';
import { axeSerious, docsShot, topBarBalance } from './harness';

/**
 * Plan self-service end to end (docs/architecture.md §7): subscribe in the sandbox, upgrade
 * (the difference in credits at once), downgrade at renewal, cancel and resume, and the plan
 * shown in the Store, Wallet and Settings (browser mode, real server on PGlite, Chromium).
 */
let app: E2eApp | null = null;
let context: BrowserContext;
let page: Page;

const balance = (): Promise<number> => topBarBalance(page);

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

beforeAll(async () => {
  app = await startE2eApp({ name: 'plans', context: { colorScheme: 'light' } });
  context = app.context;
  page = app.page;
  await signUp(page, `ada-plans-${Date.now()}@example.com`);
});

afterAll(async () => {
  await app?.close();
});

describe('plan change (browser mode, sandbox payments)', () => {
  it('subscribes, upgrades with the difference at once, downgrades at renewal, cancels and resumes', async () => {
    await go('Store');
    const panel = page.getByTestId('plan-panel');
    await panel.getByTestId('plan-name').getByText('Free').waitFor();
    expect(await panel.getByTestId('plan-next-grant').textContent()).toMatch(/^20 credits free/);

    const before = await balance();
    const opened = context.waitForEvent('page', { timeout: 15_000 });
    await page
      .getByTestId('plan-pro')
      .getByRole('button', { name: /^Subscribe for/ })
      .click();
    const checkout = await opened;
    await checkout.waitForLoadState();
    await checkout.getByRole('button', { name: /^Pay/ }).click();
    await checkout.waitForLoadState();
    await checkout.close();
    await expect.poll(balance, { timeout: 30_000 }).toBe(before + 1000);

    // The panel reads the plan when the Store opens.
    await go('Wallet');
    await go('Store');
    await panel.getByTestId('plan-name').getByText('Pro').waitFor({ timeout: 15_000 });
    expect(await panel.getByTestId('plan-credits').textContent()).toBe('1,000 credits each month');
    expect(await panel.getByTestId('plan-next-grant').textContent()).toMatch(
      /^1,000 credits at the renewal/,
    );
    await panel.scrollIntoViewIfNeeded();
    await docsShot(page, 'store-plan-pro');

    await panel.getByRole('button', { name: 'Upgrade to Max' }).click();
    await panel.getByText('Upgraded to Max: 2,000 credits added now.').waitFor({ timeout: 15_000 });
    await expect.poll(balance, { timeout: 30_000 }).toBe(before + 3000);
    expect(await panel.getByTestId('plan-name').textContent()).toMatch(/^Max/);
    await docsShot(page, 'store-plan-upgraded');

    await panel.getByRole('button', { name: 'Downgrade to Pro' }).click();
    await panel.getByTestId('plan-pending').getByText('Pro from the renewal').waitFor();
    expect(await panel.getByTestId('plan-next-grant').textContent()).toMatch(/^1,000 credits/);
    expect(await balance()).toBe(before + 3000);
    await panel.getByRole('button', { name: 'Keep Max' }).click();
    await panel.getByText('You stay on Max.').waitFor();
    expect(await panel.getByTestId('plan-pending').count()).toBe(0);

    await panel.getByRole('button', { name: 'Cancel at period end' }).click();
    await panel.getByText(/^Max ends on /).waitFor();
    expect(await panel.getByTestId('plan-next-grant').textContent()).toBe('None: the plan ends');
    await docsShot(page, 'store-plan-cancelled');
    expect(await axeSerious(page)).toEqual([]);
    await panel.getByRole('button', { name: 'Resume Max' }).click();
    await panel.getByText('Max renews again.').waitFor();
    // The sandbox has no customer portal.
    expect(await panel.getByRole('button', { name: 'Billing portal' }).count()).toBe(0);
  });

  it('shows the plan in the Wallet and Settings, and the upgrade in History', async () => {
    await go('Wallet');
    const wallet = page.getByTestId('plan-panel');
    await wallet.getByTestId('plan-name').getByText('Max').waitFor({ timeout: 15_000 });
    expect(await wallet.getByRole('button').count()).toBe(0);
    await docsShot(page, 'wallet-plan');
    await go('Settings');
    await page.getByTestId('plan-panel').getByTestId('plan-renews-at').waitFor();
    await go('History');
    await page.getByText('Upgraded to Max', { exact: true }).waitFor({ timeout: 15_000 });
    await docsShot(page, 'history-plan-upgrade');
  });
});
