import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type E2eApp, signUp, startE2eApp } from './app';
import { axeSerious, docsShot } from './harness';

/*
 * The Studio as a creator uses it (docs/architecture.md §8, §12): results where they are made,
 * inputs dropped or pasted and checked before upload, keyboard shortcuts, the viewer, the
 * before/after compare, notice of a run that ends elsewhere, and only what can run.
 * Screenshots of the Studio go to docs/screens/studio-*.png.
 */

let app: E2eApp | null = null;
let page: Page;
const mod = process.platform === 'darwin' ? 'Meta' : 'Control';

const screen = (name: string): Promise<void> => docsShot(page, name);

const png = (width: number, height: number, colour = '#3a7bd5'): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: colour } })
    .composite([
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 3}" fill="#f2b705"/></svg>`,
        ),
      },
    ])
    .png()
    .toBuffer();

/** Drops a file on the Studio as a real drag from the desktop does (a DataTransfer with a File). */
async function dropFile(bytes: Buffer, name: string, type: string): Promise<void> {
  await page.evaluate(
    ({ b64, name, type }) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type }));
      const target =
        document.querySelector('[data-testid="result-title"], .result') ?? document.body;
      for (const kind of ['dragenter', 'dragover', 'drop'])
        target.dispatchEvent(
          new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: dt }),
        );
    },
    { b64: bytes.toString('base64'), name, type },
  );
}

/** Pastes a file as Ctrl/Cmd+V of a copied image does (a paste event with clipboard files). */
async function pasteFile(bytes: Buffer, name: string, type: string): Promise<void> {
  await page.evaluate(
    ({ b64, name, type }) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type }));
      document.body.dispatchEvent(
        new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt }),
      );
    },
    { b64: bytes.toString('base64'), name, type },
  );
}

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

const inputInfo = () => page.getByTestId('input-info');

beforeAll(async () => {
  app = await startE2eApp({ name: 'studio', context: { viewport: { width: 1400, height: 900 } } });
  page = app.page;
  await signUp(page, `studio-${Date.now()}@example.com`);
}, 120_000);

afterAll(async () => {
  await app?.close();
});

describe('the Studio (browser mode, real server)', () => {
  it('shows priced models the server cannot run disabled, with the reason', async () => {
    const pro = page.getByTestId('model-select').locator('option[value="pro"]');
    await expect.poll(() => pro.isDisabled(), { timeout: 10_000 }).toBe(true);
    expect(await pro.textContent()).toContain('not available here');
    expect(
      await page.getByTestId('model-select').locator('option[value="easel-preview"]').isDisabled(),
    ).toBe(false);
    const why = page.getByTestId('unavailable-models');
    await why.getByText('Why some models are not offered').click();
    expect(await why.textContent()).toMatch(/Pro: .+\./);
    await screen('studio-empty');
    expect(await axeSerious(page)).toEqual([]);
  });

  it('runs with Ctrl/Cmd+Enter, shows the images where they are made and puts focus on them', async () => {
    await page.getByLabel('Prompt', { exact: true }).fill('Sunset over the lake');
    await page.getByTestId('count-2').check();
    // Ctrl/Cmd+Enter from the prompt field runs the tool.
    await page.getByLabel('Prompt', { exact: true }).press(`${mod}+Enter`);
    const result = page.getByTestId('job-succeeded');
    await result.waitFor({ timeout: 60_000 });
    await expect.poll(() => result.getByTestId('result-tile').count()).toBe(2);
    await result.locator('img.result-img').first().waitFor();
    const card = page.getByTestId('run-succeeded').first();
    expect(await card.textContent()).toMatch(/Sunset over the lake/);
    expect(await card.textContent()).toMatch(/512 × 512/);
    expect(await card.textContent()).toMatch(/credits charged/);
    await card.locator('.run-thumb').nth(1).waitFor();
    // Focus went to the result when the run started, and to its first image when it ended.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Open image 1 in the viewer');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screen('studio-result');
    expect(await axeSerious(page)).toEqual([]);
  });

  it('opens a result in the viewer: zoom, previous/next, prompt, seed, model, cost, a named download; Esc closes', async () => {
    await page.getByRole('button', { name: 'Open image 1 in the viewer' }).click();
    const viewer = page.getByTestId('viewer');
    await viewer.waitFor();
    await viewer.getByTestId('viewer-image').waitFor();
    expect(await viewer.getByTestId('viewer-prompt').textContent()).toBe('Sunset over the lake');
    const seed = Number(await viewer.getByTestId('viewer-seed').textContent());
    expect(await viewer.getByTestId('viewer-cost').textContent()).toMatch(/^\d+ credits?$/);
    const day = new Date().toLocaleDateString('en-CA');
    expect(await viewer.getByTestId('viewer-download').getAttribute('download')).toBe(
      `sunset-over-the-lake_${day}_1.png`,
    );
    await screen('studio-viewer');
    expect(await axeSerious(page)).toEqual([]);
    await page.keyboard.press('ArrowRight');
    await viewer.getByRole('heading', { name: 'Image 2 of 2' }).waitFor();
    expect(Number(await viewer.getByTestId('viewer-seed').textContent())).toBe(seed + 1);
    expect(await viewer.getByTestId('viewer-download').getAttribute('download')).toBe(
      `sunset-over-the-lake_${day}_2.png`,
    );
    await viewer.getByRole('button', { name: 'Zoom in' }).click();
    expect(await viewer.getByTestId('viewer-zoom').textContent()).toBe('200%');
    expect(
      await viewer.getByTestId('viewer-image').evaluate((i) => i.getBoundingClientRect().width),
    ).toBe(1024);
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
  });

  it('lists the shortcuts with "?" and closes them with Esc', async () => {
    await page.locator('body').click({ position: { x: 5, y: 880 } });
    await page.keyboard.press('?');
    const dialog = page.getByTestId('shortcuts');
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/Run the current tool/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('takes a dropped image as the input and turns Generate to image to image, keeping the prompt', async () => {
    await dropFile(await png(320, 200), 'dropped.png', 'image/png');
    await inputInfo()
      .getByText('Using a 320 × 200 image (dropped.png).')
      .waitFor({ timeout: 15_000 });
    expect(await page.getByRole('radio', { name: 'Image to image' }).isChecked()).toBe(true);
    expect(await page.getByLabel('Prompt', { exact: true }).inputValue()).toBe(
      'Sunset over the lake',
    );
    await page.getByRole('img', { name: 'The input image' }).waitFor();
  });

  it('refuses a file at the input with a sentence and the numbers, before any upload, and leaves a clean state', async () => {
    await page.getByRole('tab', { name: 'Upscale' }).click();
    await inputInfo().getByText('Using a 320 × 200 image').waitFor();
    await dropFile(Buffer.from('GIF89a'), 'cat.gif', 'image/gif');
    const error = page.getByTestId('input-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(
      '“cat.gif” is a GIF image; Easel takes PNG, JPEG or WebP images.',
    );
    // The image chosen before stays the input.
    expect(await inputInfo().textContent()).toContain('320 × 200');
    // Too many pixels: said with the numbers, and nothing uploaded.
    await page.getByLabel('Input image').setInputFiles({
      name: 'huge.png',
      mimeType: 'image/png',
      buffer: await png(8000, 6000),
    });
    await expect
      .poll(() => error.textContent(), { timeout: 20_000 })
      .toMatch(
        /^This image is 8000 × 6000 pixels \(48 megapixels\); the largest you can use is [\d.]+ megapixels\.$/,
      );
    expect(await page.getByLabel('Input image').inputValue()).toBe('');
    expect(
      await page
        .getByText(/megapixels\.$/)
        .first()
        .textContent(),
    ).toMatch(/PNG, JPEG or WebP images up to 25 MB/);
    await screen('studio-input-refused');
    // A good file clears the error.
    await page
      .getByLabel('Input image')
      .setInputFiles({ name: 'ok.png', mimeType: 'image/png', buffer: await png(96, 96) });
    await inputInfo().getByText('Using a 96 × 96 image (ok.png).').waitFor({ timeout: 15_000 });
    expect(await error.count()).toBe(0);
  });

  it('takes a pasted image (Ctrl/Cmd+V) as the input', async () => {
    await page.getByRole('tab', { name: 'Filter' }).click();
    await pasteFile(await png(128, 80, '#c0392b'), 'image.png', 'image/png');
    await inputInfo().getByText('Using a 128 × 80 image').waitFor({ timeout: 15_000 });
  });

  it('shows a filter result against its input with a before/after slider', async () => {
    await page.getByRole('button', { name: 'Apply filter' }).click();
    const result = page.getByTestId('job-succeeded');
    const compare = result.getByTestId('compare');
    await compare.waitFor({ timeout: 60_000 });
    await compare.getByRole('img', { name: 'Filter result' }).waitFor();
    await compare.getByRole('img', { name: 'Before: the input image' }).waitFor();
    const slider = compare.getByRole('slider', { name: 'Compare before and after' });
    const clip = () =>
      compare.getByTestId('compare-after').evaluate((e) => (e as HTMLElement).style.clipPath);
    expect(await clip()).toBe('inset(0px 0px 0px 50%)');
    await slider.fill('20');
    expect(await clip()).toBe('inset(0px 0px 0px 20%)');
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    expect(await clip()).toBe('inset(0px 0px 0px 21%)');
    await screen('studio-compare');
    expect(await axeSerious(page)).toEqual([]);
  });

  it('tells of a run that ends while the user is on another screen: a toast and a badge on Studio', async () => {
    await page.getByRole('tab', { name: 'Generate' }).click();
    await page.getByRole('radio', { name: 'Text to image' }).check();
    await page.getByLabel('Size').selectOption('1024x1024');
    await page.getByTestId('count-4').check();
    await page.getByLabel('Prompt', { exact: true }).fill('A lighthouse in fog');
    await page.getByRole('button', { name: 'Generate 4 images' }).click();
    await page.getByTestId('result-progress').waitFor();
    await screen('studio-running');
    await go('Gallery');
    const toast = page.getByTestId('toast');
    await toast.waitFor({ timeout: 60_000 });
    expect(await toast.textContent()).toMatch(/^Your 4 images are ready\. A lighthouse in fog\./);
    expect(await page.getByTestId('nav-badge-studio').textContent()).toBe('1');
    await screen('studio-toast-on-gallery');
    await toast.getByRole('button', { name: 'Show in Studio' }).click();
    await page.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    expect(await page.getByTestId('nav-badge-studio').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('job-succeeded').getByTestId('result-tile').count())
      .toBe(4);
  });

  it('reuses a Gallery image as the input, keeping the prompt, settings and mode', async () => {
    await page.getByLabel('Prompt', { exact: true }).fill('Keep this prompt');
    await go('Gallery');
    await page.getByRole('button', { name: 'Reuse as input' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
    await inputInfo().getByText('Using a 1024 × 1024 image.').waitFor({ timeout: 15_000 });
    expect(await page.getByLabel('Prompt', { exact: true }).inputValue()).toBe('Keep this prompt');
    expect(await page.getByLabel('Size').inputValue()).toBe('1024x1024');
    expect(await page.getByTestId('count-4').isChecked()).toBe(true);
    expect(await page.getByRole('radio', { name: 'Image to image' }).isChecked()).toBe(true);
  });

  it('looks right in the dark theme too (follows the system), with no serious axe violations', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.dataset.theme))
      .toBe('dark');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screen('studio-result-dark');
    expect(await axeSerious(page)).toEqual([]);
    await page.getByRole('button', { name: 'Open image 1 in the viewer' }).click();
    await page.getByTestId('viewer-image').waitFor();
    await screen('studio-viewer-dark');
    expect(await axeSerious(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.getByTestId('viewer').waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Filter' }).click();
    await page
      .getByTestId('run-succeeded')
      .filter({ hasText: '128 × 80' })
      .getByRole('button', { name: 'Show this run' })
      .click();
    await page.getByTestId('compare').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screen('studio-compare-dark');
    expect(await axeSerious(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('tab', { name: 'Generate' }).click();
  });

  it('offline: runs are disabled with a sentence while the price still shows', async () => {
    await app?.stopServer();
    await expect
      .poll(() => page.getByTestId('sync-state').textContent(), { timeout: 45_000 })
      .toMatch(/Offline/);
    const blocked = page.getByTestId('run-blocked');
    await blocked.waitFor();
    expect(await blocked.textContent()).toMatch(/^You are offline\./);
    expect(await page.getByRole('button', { name: 'Generate 4 images' }).isDisabled()).toBe(true);
    expect(Number(await page.getByTestId('quote-credits').textContent())).toBeGreaterThan(0);
    await screen('studio-offline');
  });
});
