import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CatalogResponse } from '../../shared/api/purchases';
import { defaultPriceBook } from '../../shared/pricing/fixtures/default';
import { quote } from '../../shared/pricing/quote';
import { type E2eApp, serverSignedState, startE2eApp } from './app';
import { axeSerious, goTo, shot, unreachableByKeyboard, topBarBalance } from './harness';

let app: E2eApp | null = null;
let page: Page;
const email = `ada-${Date.now()}@example.com`;
const password = 'correct horse battery';
let redeemed = { before: 0, cost: 0 };

/** Asks the server itself (a separate session): the balance in its latest signed checkpoint. */
const serverCheckpointBalance = async (): Promise<number> =>
  (await serverSignedState(app?.serverUrl ?? '', email, password)).balance;

/** A small PNG: a clear red disc on a plain white background. */
const subjectPng = (): Promise<Buffer> =>
  sharp({ create: { width: 96, height: 96, channels: 3, background: '#ffffff' } })
    .composite([
      {
        input: Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><circle cx="48" cy="48" r="28" fill="#d02020"/></svg>',
        ),
      },
    ])
    .png()
    .toBuffer();

const balance = (): Promise<number> => topBarBalance(page);

const go = (label: string): Promise<void> => goTo(page, label);

beforeAll(async () => {
  app = await startE2eApp({ name: 'renderer' });
  page = app.page;
});

afterAll(async () => {
  await app?.close();
});

describe('renderer end to end (browser mode, real server on PGlite)', () => {
  it('signs up and shows the free credits', async () => {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await shot(page, '00-sign-up');
    expect(await axeSerious(page)).toEqual([]);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Studio' }).waitFor();
    await expect.poll(balance, { timeout: 20_000 }).toBeGreaterThanOrEqual(20);
  });

  it('quotes 1, 2 and 4 images exactly as the price book does', async () => {
    for (const count of [1, 2, 4]) {
      await page.getByTestId(`count-${count}`).check();
      const expected = quote(defaultPriceBook, {
        tool: 'generate',
        mode: 'text-to-image',
        width: 512,
        height: 512,
        steps: 20,
        model: 'easel-preview',
        count,
      }).credits;
      expect(await page.getByTestId('quote-credits').textContent()).toBe(String(expected));
      expect(Number(await page.getByTestId('after-credits').textContent())).toBe(
        (await balance()) - expected,
      );
    }
    await page.getByTestId('count-1').check();
    await shot(page, '01-studio');
    expect(await axeSerious(page)).toEqual([]);
  });

  it('generates and the balance falls by exactly the quote', async () => {
    const before = await balance();
    await page.getByLabel('Prompt', { exact: true }).fill('a calm harbour at dawn');
    const q = Number(await page.getByTestId('quote-credits').textContent());
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    await page.waitForTimeout(3000);
    await shot(page, '02-studio-generating');
    await expect.poll(balance, { timeout: 40_000 }).toBe(before - q);
    await shot(page, '02-studio-after-generate');
  });

  it('refunds a disliked image in the Gallery', async () => {
    await go('Gallery');
    const dislike = page.getByRole('button', { name: /^Dislike/ }).first();
    await dislike.waitFor({ timeout: 20_000 });
    const refund = Number(/\(\+([\d,]+) credits/.exec((await dislike.textContent()) ?? '')?.[1]);
    expect(refund).toBe(4);
    const before = await balance();
    await shot(page, '03-gallery-before-dislike');
    await dislike.click();
    await page.getByText(`Disliked · ${refund} credits returned`).waitFor();
    await expect.poll(balance, { timeout: 20_000 }).toBe(before + refund);
    await shot(page, '03-gallery-disliked');
  });

  it('cuts out a subject: Confirm charges the quote, Discard charges nothing', async () => {
    await go('Studio');
    await page.getByRole('tab', { name: 'Cutout' }).click();
    await page.getByLabel('Input image').setInputFiles({
      name: 'subject.png',
      mimeType: 'image/png',
      buffer: await subjectPng(),
    });
    await page.getByTestId('input-info').getByText('Using a 96 × 96 image').waitFor();
    const q = Number(await page.getByTestId('quote-credits').textContent());
    expect(q).toBeGreaterThan(0);

    const before = await balance();
    await page.getByRole('button', { name: 'Remove background' }).click();
    const waiting = page.getByTestId('job-awaiting-confirm');
    await waiting.waitFor({ timeout: 30_000 });
    await waiting.getByRole('img', { name: 'Cutout result' }).waitFor();
    await shot(page, '10-cutout-awaiting-confirm');
    await waiting.getByRole('button', { name: /^Confirm/ }).click();
    await page.getByTestId('job-confirmed').first().waitFor({ timeout: 20_000 });
    await expect.poll(balance, { timeout: 20_000 }).toBe(before - q);

    const beforeDiscard = await balance();
    await page.getByRole('button', { name: 'Remove background' }).click();
    await page.getByTestId('job-awaiting-confirm').waitFor({ timeout: 30_000 });
    await page
      .getByTestId('job-awaiting-confirm')
      .getByRole('button', { name: 'Discard (free)' })
      .click();
    await page.getByTestId('job-discarded').first().waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1500);
    expect(await balance()).toBe(beforeDiscard);
    await shot(page, '10-cutout-after-discard');
  });

  it('upscales in the Best tier: the quote is the book’s Best price and exactly that is charged', async () => {
    await go('Studio');
    await page.getByRole('tab', { name: 'Upscale' }).click();
    await page.getByLabel('Input image').setInputFiles({
      name: 'subject.png',
      mimeType: 'image/png',
      buffer: await subjectPng(),
    });
    await page.getByTestId('input-info').getByText('Using a 96 × 96 image').waitFor();
    const priced = (tier: 'fast' | 'best') =>
      quote(defaultPriceBook, { tool: 'upscale', factor: 2, width: 96, height: 96, tier }).credits;
    expect(Number(await page.getByTestId('quote-credits').textContent())).toBe(priced('fast'));
    await page.getByRole('radio', { name: 'Best' }).check();
    expect(Number(await page.getByTestId('quote-credits').textContent())).toBe(priced('best'));
    expect(priced('best')).toBeGreaterThan(priced('fast'));
    await shot(page, '11-upscale-best');
    expect(await axeSerious(page)).toEqual([]);
    const before = await balance();
    await page.getByRole('button', { name: 'Upscale ×2' }).click();
    await page.getByTestId('job-succeeded').first().waitFor({ timeout: 60_000 });
    await expect.poll(balance, { timeout: 20_000 }).toBe(before - priced('best'));
    await shot(page, '11-upscale-best-done');
  });

  it('buys a pack in the sandbox checkout and the balance rises by the pack', async () => {
    const catalog = CatalogResponse.parse(
      await (await fetch(`${app?.serverUrl ?? ''}/v1/catalog`)).json(),
    );
    expect(catalog.provider).toBe('sandbox');
    const pack = catalog.items.find((i) => i.type === 'pack');
    if (pack?.type !== 'pack') throw new Error('the catalog has no pack');
    await go('Store');
    const before = await balance();
    // Browser mode: the checkout opens in a tab on the Buy click (and stays as a link).
    const opened = page.context().waitForEvent('page', { timeout: 15_000 });
    await page
      .locator('li.pack')
      .filter({ hasText: pack.title })
      .getByRole('button', { name: /^Buy for/ })
      .click();
    const status = page.getByTestId('purchase-status');
    const checkout = await opened;
    await checkout.waitForLoadState();
    expect(checkout.url().startsWith(`${app?.serverUrl ?? ''}/`)).toBe(true);
    await shot(page, '06-store-checkout-pending');
    await shot(checkout, '06-sandbox-checkout');
    await checkout.getByRole('button', { name: /^Pay/ }).click();
    await checkout.waitForLoadState();
    await shot(checkout, '06-sandbox-checkout-paid');
    await checkout.close();
    await status.getByText('Credits added to your wallet.').waitFor({ timeout: 30_000 });
    await expect.poll(balance, { timeout: 20_000 }).toBe(before + pack.credits + pack.bonusCredits);
    await shot(page, '06-store-credited');
  });

  it('shows every screen, accessible (axe: no serious or critical violations, every control reachable by Tab)', async () => {
    for (const [label, name] of [
      ['Studio', '01-studio-keyboard'],
      ['Gallery', '03-gallery'],
      ['Wallet', '04-wallet'],
      ['History', '05-history'],
      ['Store', '06-store'],
      ['Designs', '07-designs'],
      ['Settings', '08-settings'],
    ] as const) {
      await go(label);
      await page.waitForTimeout(300);
      await shot(page, name);
      const violations = await axeSerious(page);
      expect(violations.map((v) => `${label}: ${v.id} ${v.help}`)).toEqual([]);
      expect((await unreachableByKeyboard(page)).map((c) => `${label}: ${c}`)).toEqual([]);
    }
  });

  it('takes an offline allowance in Settings while online', async () => {
    await go('Settings');
    const panel = page.getByRole('region', { name: 'Offline allowance' });
    await panel.getByLabel('Amount').fill('120');
    await panel.getByLabel('Days').fill('7');
    await page.getByRole('button', { name: 'Take allowance' }).click();
    await page
      .getByTestId('allowance-state')
      .getByText(/^120 of 120 left/)
      .waitFor();
    await shot(page, '08-settings-allowance');
  });

  it('keeps balance and history from the cache when the server is gone', async () => {
    await go('Wallet');
    const before = await balance();
    await app?.stopServer();
    await page.reload();
    await page.getByTestId('balance').waitFor();
    await expect.poll(balance, { timeout: 20_000 }).toBe(before);
    await go('History');
    // An activity expands into its ledger entries, each verified from the cache.
    await page.locator('.activity-toggle').first().click();
    await expect
      .poll(async () => page.getByText('✓ Verified').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => page.getByTestId('sync-state').textContent(), { timeout: 30_000 })
      .toMatch(/Offline/);
    await shot(page, '09-history-offline');
  });
  it('redeems a design offline within the allowance', async () => {
    await go('Designs');
    const before = await balance();
    const buttons = page.getByRole('button', { name: /^Redeem offline/ });
    await buttons.first().waitFor({ timeout: 10_000 });
    // The cheapest design: within the allowance and the balance.
    const costs = (await buttons.allTextContents()).map((t) =>
      Number(/\(([\d,]+)\)/.exec(t)?.[1]?.replace(/,/g, '')),
    );
    const cost = Math.min(...costs);
    const redeem = buttons.nth(costs.indexOf(cost));
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThanOrEqual(Math.min(120, before));
    const cardId = await redeem.locator('xpath=ancestor::li[1]').getAttribute('data-testid');
    const card = page.getByTestId(cardId ?? 'no-card');
    await redeem.click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /^Redeem for/ })
      .click();
    await card.getByText('Owned · settles when back online').waitFor({ timeout: 10_000 });
    await expect.poll(balance, { timeout: 10_000 }).toBe(before - cost);
    await page
      .getByTestId('offline-left')
      .getByText(`${120 - cost} credits left`)
      .waitFor();
    redeemed = { before, cost };
    await shot(page, '11-designs-redeemed-offline');
  });

  it('settles the offline redemption when the server is back, agreeing with its checkpoint', async () => {
    await app?.startServer();
    await expect
      .poll(async () => page.getByTestId('sync-state').textContent(), { timeout: 45_000 })
      .toMatch(/Up to date/);
    await page.getByText('Owned · available offline').first().waitFor({ timeout: 30_000 });
    expect(await page.getByText('Owned · settles when back online').count()).toBe(0);
    const expected = redeemed.before - redeemed.cost;
    await expect.poll(balance, { timeout: 20_000 }).toBe(expected);
    expect(await serverCheckpointBalance()).toBe(expected);
    await shot(page, '12-designs-settled');
  });
});
