import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Locator, Page } from 'playwright-core';

export const root = join(import.meta.dirname, '..', '..');
export const screensDir = join(root, 'test-results', 'screens');

export { chromiumArgs, launchChromium, launchPersistentChromium } from '../support/chromium';

const newest = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((t, d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'dist' ? t : Math.max(t, newest(p));
    return Math.max(t, statSync(p).mtimeMs);
  }, 0);

/**
 * A production build of the renderer (as `npm run build:renderer`), into renderer/dist or
 * `outDir`. NODE_ENV=production: React's production build, as users get it (vitest runs with
 * NODE_ENV=test).
 */
export function buildRenderer(outDir?: string): void {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'renderer/vite.config.ts',
      ...(outDir ? ['--outDir', outDir, '--emptyOutDir'] : []),
      '--logLevel',
      'error',
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
}

/** Builds the renderer when renderer/dist is missing or older than its sources. */
export function buildRendererIfStale(): string {
  const dist = join(root, 'renderer', 'dist');
  const index = join(dist, 'index.html');
  const sources = Math.max(newest(join(root, 'renderer')), newest(join(root, 'shared')));
  if (!existsSync(index) || statSync(index).mtimeMs < sources) buildRenderer();
  return dist;
}

/**
 * The balance the top bar shows, as a number, once it shows one: it reads "…" until the wallet
 * has loaded, and reading it earlier gives NaN.
 */
export async function topBarBalance(page: Page): Promise<number> {
  const shown = page.getByTestId('balance');
  await shown.getByText(/\d/).waitFor({ timeout: 20_000 });
  return Number(((await shown.textContent()) ?? '').replace(/,/g, ''));
}

/**
 * Waits for `wanted`; if it never shows, the error says what the page showed instead (the
 * text of `page`'s main region), so a failure in CI explains itself without a screenshot.
 */
export async function waitShowing(page: Page, wanted: Locator, timeout = 30_000): Promise<void> {
  try {
    await wanted.waitFor({ timeout });
  } catch (error) {
    const shown = await page
      .locator('main')
      .first()
      .innerText({ timeout: 2_000 })
      .catch(() => '(no main region)');
    throw new Error(
      `${error instanceof Error ? error.message.split('\n')[0] : String(error)}; the page showed: ${shown.slice(0, 1500)}`,
      { cause: error },
    );
  }
}

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

/** Opens a screen from the navigation and waits for its heading. */
export async function goTo(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(screensDir, { recursive: true });
  await page.screenshot({ path: join(screensDir, `${name}.png`), fullPage: false });
}

export const docsScreensDir = join(root, 'docs', 'screens');

/** A screenshot the docs show: docs/screens/<name>.png (dark ones have `dark` in the name). */
export async function docsShot(page: Page, name: string): Promise<void> {
  mkdirSync(docsScreensDir, { recursive: true });
  await page.screenshot({ path: join(docsScreensDir, `${name}.png`), fullPage: false });
}

const axeSource = (): string => {
  const require = createRequire(import.meta.url);
  return (require('axe-core') as { source: string }).source;
};

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Serious and critical accessibility violations on the page as it is now. */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => 'axe' in window);
  if (!hasAxe) await page.evaluate(axeSource());
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } })
      .axe;
    return (await axe.run()).violations;
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Walks the page with the Tab key and returns the visible, enabled controls it never reached
 * (described by role and name). A radio group counts as reached when one of its radios is, as
 * arrow keys move within it.
 */
export async function unreachableByKeyboard(page: Page): Promise<string[]> {
  const controls = await page.evaluate(() => {
    const selector =
      'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
    const all = [...document.querySelectorAll<HTMLElement>(selector)].filter(
      (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden',
    );
    all.forEach((el, i) => el.setAttribute('data-kb', String(i)));
    (document.activeElement as HTMLElement | null)?.blur();
    return all.map((el) => ({
      key:
        el instanceof HTMLInputElement && el.type === 'radio'
          ? `radio:${el.name}`
          : `#${el.getAttribute('data-kb')}`,
      label: `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? (el as HTMLInputElement).name ?? '').trim().slice(0, 40)}"`,
    }));
  });
  const reached = new Set<string>();
  for (let i = 0; i < controls.length * 4 + 10; i++) {
    await page.keyboard.press('Tab');
    const key = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      return el instanceof HTMLInputElement && el.type === 'radio'
        ? `radio:${el.name}`
        : `#${el.getAttribute('data-kb') ?? '?'}`;
    });
    if (key) reached.add(key);
    if (controls.every((c) => reached.has(c.key))) break;
  }
  await page.evaluate(() => {
    for (const el of document.querySelectorAll('[data-kb]')) el.removeAttribute('data-kb');
  });
  return [...new Set(controls.filter((c) => !reached.has(c.key)).map((c) => c.label))];
}
