import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startBrowserHost } from '../../main/browser-mode/host';
import { readConfig } from '../../server/config';
import { startServer, type RunningServer } from '../../server/start';
import { axeSerious, buildRendererIfStale, launchChromium, shot, tempDir } from './harness';

let server: RunningServer | null = null;
let host: Awaited<ReturnType<typeof startBrowserHost>> | null = null;
let browser: Browser | null = null;
let page: Page;
const serverDir = tempDir('easel-e2e-health-server-');
const appDir = tempDir('easel-e2e-health-app-');
const corrupt = '{"allowanceAmount": "lots"';

beforeAll(async () => {
  const rendererDir = buildRendererIfStale();
  server = await startServer(
    readConfig({ EASEL_PORT: '0', EASEL_DATA_DIR: serverDir, EASEL_LOG: 'off' }),
  );
  // The app's settings file is damaged before the app starts.
  writeFileSync(join(appDir, 'settings.json'), corrupt);
  host = await startBrowserHost({ serverUrl: server.url, dataDir: appDir, rendererDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
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

describe('an unreadable device file is shown with its way out (browser mode, real server)', () => {
  it('says what could not be read in Settings, and re-syncs it on request', async () => {
    await page.getByLabel('Email').fill(`health-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Studio' }).waitFor();
    await page
      .getByRole('navigation')
      .getByRole('button', { name: 'Settings', exact: true })
      .click();
    const problem = page.getByRole('alert').filter({ hasText: 'Settings:' });
    await problem.waitFor();
    expect(await problem.textContent()).toContain('settings.json');
    await shot(page, 'device-health-problem');
    expect(await axeSerious(page)).toEqual([]);
    // Nothing was written over the damaged file meanwhile.
    expect(readFileSync(join(appDir, 'settings.json'), 'utf8')).toBe(corrupt);

    await page.getByRole('button', { name: 'Use the default settings' }).click();
    await page.getByText('Settings start again from the defaults.').waitFor();
    expect(await page.getByRole('alert').filter({ hasText: 'Settings:' }).count()).toBe(0);
    await shot(page, 'device-health-resynced');
    expect(readdirSync(appDir).some((f) => f.startsWith('settings.json.unreadable-'))).toBe(true);
  });
});
