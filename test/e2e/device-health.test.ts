import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type E2eApp, startE2eApp } from './app';
import { axeSerious, shot } from './harness';

let app: E2eApp | null = null;
let page: Page;
let appDir = '';
const corrupt = '{"allowanceAmount": "lots"';

beforeAll(async () => {
  app = await startE2eApp({
    name: 'health',
    // The app's settings file is damaged before the app starts.
    beforeHost: (dir) => writeFileSync(join(dir, 'settings.json'), corrupt),
  });
  page = app.page;
  appDir = app.appDir;
});

afterAll(async () => {
  await app?.close();
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
