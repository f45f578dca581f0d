import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PriceBook } from '../../shared/pricing/book';
import { quote } from '../../shared/pricing/quote';
import { type E2eApp, signUp, startE2eApp } from './app';
import { docsShot, root } from './harness';

/**
 * The Studio's size and steps controls follow whichever price book is published
 * (docs/architecture.md §6): the shipped resolution × steps list, published while the app runs.
 */
const book = PriceBook.parse(
  JSON.parse(readFileSync(join(root, 'docs', 'price-books', 'resolution-steps.json'), 'utf8')),
);
let app: E2eApp | null = null;
let page: Page;

const sizeOptions = (): Promise<string[]> =>
  page.getByLabel('Size').locator('option').allTextContents();
const quoted = async (): Promise<number> =>
  Number((await page.getByTestId('quote-credits').first().textContent()) ?? 'NaN');

beforeAll(async () => {
  app = await startE2eApp({
    name: 'price-book',
    context: { viewport: { width: 1400, height: 900 } },
  });
  page = app.page;
  await signUp(page, `prices-${Date.now()}@example.com`);
}, 120_000);

afterAll(async () => {
  await app?.close();
});

describe('the Studio follows the published price book (browser mode, real server)', () => {
  it('offers the standard book’s sizes, with no step rungs', async () => {
    expect(await sizeOptions()).toHaveLength(5);
    expect(await page.getByTestId('steps-prices').count()).toBe(0);
    // A size the next book will not offer.
    await page.getByLabel('Size').selectOption('1024x768');
  });

  it('after the resolution × steps book is published: six sizes, the rungs, the exact quote', async () => {
    await app?.server?.services.catalog.publishPriceBook(book);
    // The running app learns of it when it next reconnects (no reload: the form keeps its size).
    const syncText = () => page.getByTestId('sync-state').textContent();
    await app?.stopServer();
    await expect.poll(syncText, { timeout: 45_000 }).toMatch(/Offline/);
    await app?.startServer();
    await expect.poll(syncText, { timeout: 45_000 }).toMatch(/Up to date/);
    await expect
      .poll(sizeOptions, { timeout: 20_000 })
      .toEqual(['512 × 512', '512 × 768', '512 × 1024', '768 × 768', '768 × 1024', '1024 × 1024']);
    // The chosen 1024 × 768 is gone: the first offered size is used, and priced.
    await page.getByLabel('Prompt', { exact: true }).fill('a calm harbour at dawn, watercolour');
    const model = await page.getByTestId('model-select').inputValue();
    const at = (width: number, height: number, steps: number, count: number): number =>
      quote(book, { tool: 'generate', mode: 'text-to-image', width, height, steps, model, count })
        .credits;
    await expect.poll(quoted).toBe(at(512, 512, 20, 1));
    await page.getByLabel('Size').selectOption('768x1024');
    await page.getByLabel('Steps').fill('120');
    await page.getByTestId('count-2').check();
    expect(await page.getByTestId('steps-prices').textContent()).toBe(
      'Per image at 768 × 1024: 2 credits up to 50 steps · 4 up to 100 steps · 8 up to 150 steps',
    );
    await expect.poll(quoted).toBe(at(768, 1024, 120, 2));
    await docsShot(page, 'studio-price-book');
  });

  it('keeps steps within the book’s limit', async () => {
    await page.getByLabel('Steps').fill('400');
    expect(await page.getByLabel('Steps').inputValue()).toBe('150');
  });
});
