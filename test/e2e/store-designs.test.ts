import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { SignUpOffer } from '../../shared/api/auth';
import { CatalogResponse } from '../../shared/api/purchases';
import { offerText } from '../../renderer/src/app/offer-text';
import { defaultPriceBook } from '../../shared/pricing/fixtures/default';
import { quote } from '../../shared/pricing/quote';
import { type E2eApp, startE2eApp } from './app';
import { axeSerious, docsShot } from './harness';

/**
 * The Store, Designs, first run, theme and title, end to end (browser mode, real server on
 * PGlite, Chromium). Screenshots of every screen in both themes go to docs/screens/.
 */
let app: E2eApp | null = null;
let context: BrowserContext;
let page: Page;
const email = `grace-${Date.now()}@example.com`;
const password = 'correct horse battery';

const screens = ['Studio', 'Gallery', 'Designs', 'Store', 'History', 'Wallet', 'Settings'] as const;

const balance = async (): Promise<number> =>
  Number(((await page.getByTestId('balance').textContent()) ?? '').replace(/,/g, ''));

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

const docShot = (name: string): Promise<void> => docsShot(page, name);

const catalog = async () =>
  CatalogResponse.parse(await (await fetch(`${app?.serverUrl ?? ''}/v1/catalog`)).json());

/** Clicks a Buy/Subscribe button and returns the checkout tab it opened. */
async function buyAndGetCheckout(button: ReturnType<Page['getByRole']>): Promise<Page> {
  const opened = context.waitForEvent('page', { timeout: 15_000 });
  await button.click();
  const checkout = await opened;
  await checkout.waitForLoadState();
  return checkout;
}

async function setTheme(label: 'System' | 'Light' | 'Dark'): Promise<void> {
  await go('Settings');
  await page.getByRole('radio', { name: label, exact: true }).check();
}

const htmlTheme = (): Promise<string | undefined> =>
  page.evaluate(() => document.documentElement.dataset.theme);
const bodyBackground = (): Promise<string> =>
  page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

beforeAll(async () => {
  app = await startE2eApp({
    name: 'store',
    context: { colorScheme: 'light', acceptDownloads: true },
  });
  context = app.context;
  page = app.page;
});

afterAll(async () => {
  await app?.close();
});

describe('Store, Designs, first run and theme (browser mode, real server)', () => {
  it('states the server’s sign-up offer and the password rule inline, then welcomes', async () => {
    const offer = SignUpOffer.parse(
      await (await fetch(`${app?.serverUrl ?? ''}/v1/auth/offer`)).json(),
    );
    expect(offer.welcome?.credits).toBeGreaterThan(0);
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    const shown = page.getByTestId('signup-offer');
    await shown.getByText(offerText(offer)).waitFor();
    expect(await shown.textContent()).toContain(`${offer.welcome?.credits} credits to start`);

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('short');
    const rules = page.getByTestId('password-rules');
    expect(await rules.textContent()).toBe(
      `At least ${offer.password.minLength} characters (${offer.password.minLength - 5} more).`,
    );
    expect(await page.getByRole('button', { name: 'Create account' }).isDisabled()).toBe(true);
    await page.getByLabel('Password').fill(password);
    expect(await rules.textContent()).toContain('✓');
    await docShot('signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    const welcome = page.getByTestId('welcome');
    await welcome.getByText('Welcome to Easel.').waitFor();
    expect(await welcome.textContent()).toContain(offerText(offer));
    const first = (offer.welcome?.credits ?? 0) + offer.dailyCredits;
    await expect.poll(balance, { timeout: 20_000 }).toBe(first);
    await docShot('welcome');
    await welcome.getByRole('button', { name: 'Dismiss' }).click();
    expect(await page.getByTestId('welcome').count()).toBe(0);
  });

  it('names the screen in the document title', async () => {
    expect(await page.title()).toBe('Studio — Easel');
    await go('Store');
    expect(await page.title()).toBe('Store — Easel');
  });

  it('disables Redeem when a design costs more than the balance, with a top-up to the Store', async () => {
    await go('Designs');
    const have = await balance();
    const card = page.locator('li[data-testid^="design-"]').first();
    await card.waitFor();
    const redeem = card.getByRole('button', { name: /^Redeem for/ });
    const cost = Number(
      /([\d,]+)/.exec((await redeem.textContent()) ?? '')?.[1]?.replace(/,/g, ''),
    );
    expect(cost).toBeGreaterThan(have);
    expect(await redeem.isDisabled()).toBe(true);
    await card.getByText(`You need ${cost - have} credits more.`).waitFor();
    await docShot('designs-unaffordable');
    await card.getByRole('button', { name: 'Top up in the Store' }).click();
    await page.getByRole('heading', { level: 1, name: 'Store' }).waitFor();
  });

  it('opens the sandbox checkout in a tab on the Buy click; paying raises the balance', async () => {
    const pack = (await catalog()).items.find((i) => i.type === 'pack');
    if (pack?.type !== 'pack') throw new Error('the catalog has no pack');
    await go('Store');
    const before = await balance();
    const checkout = await buyAndGetCheckout(
      page
        .locator('li.pack')
        .filter({ hasText: pack.title })
        .getByRole('button', { name: /^Buy for/ }),
    );
    expect(checkout.url()).toMatch(new RegExp(`^${app?.serverUrl ?? ''}/sandbox/checkout/chk_`));
    // The same page stays reachable as a real link, not as text.
    const link = page.getByRole('link', { name: 'Open the checkout page' });
    expect(await link.getAttribute('href')).toBe(checkout.url());
    expect(
      await page
        .getByRole('button', { name: /^Buy for/ })
        .first()
        .isDisabled(),
    ).toBe(true);
    await docShot('store-checkout-pending');
    await checkout.getByRole('button', { name: /^Pay/ }).click();
    await checkout.waitForLoadState();
    await checkout.close();
    await page.getByText('Credits added to your wallet.').waitFor({ timeout: 30_000 });
    await expect.poll(balance, { timeout: 20_000 }).toBe(before + pack.credits + pack.bonusCredits);
    expect(
      await page
        .getByRole('button', { name: /^Buy for/ })
        .first()
        .isEnabled(),
    ).toBe(true);
  });

  it('abandons a pending checkout: the Buy buttons come back and nothing is charged', async () => {
    await go('Store');
    const before = await balance();
    const checkout = await buyAndGetCheckout(
      page.getByRole('button', { name: /^Buy for/ }).first(),
    );
    await page.getByText('Waiting for payment on the checkout page…').waitFor();
    expect(
      await page
        .getByRole('button', { name: /^Buy for/ })
        .first()
        .isDisabled(),
    ).toBe(true);
    await page.getByRole('button', { name: 'Stop waiting for this payment' }).click();
    expect(await page.getByTestId('purchase-status').count()).toBe(0);
    await page.getByText(/You left that checkout\./).waitFor();
    for (const b of await page.getByRole('button', { name: /^(Buy for|Subscribe for)/ }).all())
      expect(await b.isEnabled()).toBe(true);
    await checkout.close();
    await page.waitForTimeout(1500);
    expect(await balance()).toBe(before);
  });

  it('marks the current plan with its renewal date after subscribing', async () => {
    const pro = (await catalog()).items.find((i) => i.type === 'plan' && i.priceCents > 0);
    if (pro?.type !== 'plan') throw new Error('the catalog has no paid plan');
    await go('Store');
    const card = page.getByTestId(`plan-${pro.itemId}`);
    expect(await card.getByText('Your plan').count()).toBe(0);
    expect(await page.getByTestId('plan-free').getByText('Your plan').count()).toBe(1);
    const before = await balance();
    const checkout = await buyAndGetCheckout(card.getByRole('button', { name: /^Subscribe for/ }));
    const paidAt = new Date();
    await checkout.getByRole('button', { name: /^Pay/ }).click();
    await checkout.waitForLoadState();
    await checkout.close();
    await expect.poll(balance, { timeout: 30_000 }).toBe(before + pro.monthlyCredits);
    await card.getByText('Your plan').waitFor({ timeout: 20_000 });
    const renews = new Date(paidAt);
    renews.setUTCMonth(renews.getUTCMonth() + 1);
    const when = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' }).format(renews);
    expect(await card.getByTestId('plan-renews').textContent()).toContain(`Renews on ${when}`);
    expect(await card.getByRole('button', { name: /^Subscribe/ }).count()).toBe(0);
    expect(await page.getByTestId('plan-free').getByText('Your plan').count()).toBe(0);
    await docShot('store-plan-marked');
  });

  it('asks before redeeming a design, with the price and the balance after', async () => {
    await go('Designs');
    const before = await balance();
    const card = page.locator('li[data-testid^="design-"]').first();
    const title = (await card.locator('.card-title').textContent()) ?? '';
    const redeem = card.getByRole('button', { name: /^Redeem for/ });
    const cost = Number(
      /([\d,]+)/.exec((await redeem.textContent()) ?? '')?.[1]?.replace(/,/g, ''),
    );
    expect(await redeem.isEnabled()).toBe(true);
    await redeem.click();
    const dialog = page.getByRole('dialog', { name: `Redeem ${title}?` });
    await dialog.waitFor();
    expect(await dialog.getByTestId('balance-after').textContent()).toBe(
      `${(before - cost).toLocaleString('en-US')} credits`,
    );
    await docShot('designs-confirm');
    // Esc cancels: nothing is spent.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForTimeout(500);
    expect(await balance()).toBe(before);
    await redeem.click();
    await dialog.getByRole('button', { name: /^Redeem for/ }).click();
    await card.getByText('Owned · available offline').waitFor({ timeout: 15_000 });
    await expect.poll(balance, { timeout: 15_000 }).toBe(before - cost);
  });

  it('downloads an owned design under its title, and hands it to the Studio as input', async () => {
    await go('Designs');
    const card = page.locator('li[data-testid^="design-"]').first();
    const title = (await card.locator('.card-title').textContent()) ?? '';
    const download = page.waitForEvent('download');
    await card.getByRole('button', { name: 'Download' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.svg`);
    await card.getByRole('button', { name: 'Use as input' }).click();
    await page.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    // The upload went through the jobs store: the design, drawn as a 512 × 512 PNG.
    await page.getByRole('tab', { name: 'Upscale' }).click();
    await page
      .getByText(/512 × 512/)
      .first()
      .waitFor({ timeout: 15_000 });
  });

  it('has a result in the Gallery to picture (a run through the app’s own bridge)', async () => {
    const params = {
      mode: 'text-to-image' as const,
      prompt: 'a lighthouse on a calm sea at dusk',
      model: 'easel-preview',
      width: 512,
      height: 512,
      steps: 20,
      seed: 7,
      count: 2,
    };
    const q = quote(defaultPriceBook, { tool: 'generate', ...params });
    // Main's own IPC (browser mode serves it on loopback): the app tracks the job by its events.
    const origin = new URL(app?.host.url ?? '').origin;
    const res = await fetch(`${origin}/ipc/submitJob`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${app?.host.token ?? ''}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        operationId: `e2e-gallery-${Date.now()}`,
        tool: 'generate',
        params,
        quote: { credits: q.credits, priceBookVersion: q.priceBookVersion },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await go('Gallery');
    await expect.poll(() => page.getByTestId('gallery-item').count(), { timeout: 60_000 }).toBe(2);
  });

  it('follows the system theme, and keeps a chosen one across a reload', async () => {
    expect(await htmlTheme()).toBe('light');
    const light = await bodyBackground();
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(htmlTheme).toBe('dark');
    const dark = await bodyBackground();
    expect(dark).not.toBe(light);
    expect(dark).toBe('rgb(21, 23, 28)');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(htmlTheme).toBe('light');
    await setTheme('Dark');
    await expect.poll(htmlTheme).toBe('dark');
    await page.reload();
    await page.getByTestId('balance').waitFor();
    await expect.poll(htmlTheme).toBe('dark');
    expect(await bodyBackground()).toBe('rgb(21, 23, 28)');
  });

  it('screenshots every screen in light and dark into docs/screens', async () => {
    for (const theme of ['Light', 'Dark'] as const) {
      await setTheme(theme);
      await expect.poll(htmlTheme).toBe(theme.toLowerCase());
      for (const label of screens) {
        await go(label);
        await page.waitForTimeout(400);
        const name = `${label.toLowerCase()}${theme === 'Dark' ? '-dark' : ''}`;
        // The History e2e (test/e2e/history.test.ts) pictures History in light as history.png.
        if (name !== 'history') await docShot(name);
      }
    }
  });

  it('has no serious or critical axe violations on any screen, light or dark', async () => {
    const found: string[] = [];
    for (const theme of ['Light', 'Dark'] as const) {
      await setTheme(theme);
      await expect.poll(htmlTheme).toBe(theme.toLowerCase());
      for (const label of screens) {
        await go(label);
        await page.waitForTimeout(300);
        for (const v of await axeSerious(page)) found.push(`${theme} ${label}: ${v.id} ${v.help}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('after sign-out opens on Sign in, with errors as sentences; both themes pictured', async () => {
    // Following the system, so the sign-in form can be pictured in both themes.
    await page.emulateMedia({ colorScheme: 'light' });
    await setTheme('System');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.title()).toBe('Sign in — Easel');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Wrong email or password.');
    await docShot('signin');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(htmlTheme).toBe('dark');
    await docShot('signin-dark');
    const violations = await axeSerious(page);
    expect(violations.map((v) => `${v.id} ${v.help}`)).toEqual([]);
  });
});
