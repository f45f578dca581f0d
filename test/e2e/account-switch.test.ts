import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type E2eApp, serverSignedState, startE2eApp } from './app';
import { goTo, shot, topBarBalance } from './harness';

/**
 * Two accounts in turn in ONE window, without a reload (docs/architecture.md §9): each sees only
 * its own balance, runs, gallery and history, and reaches "Up to date" as a fresh start does.
 */
let app: E2eApp | null = null;
let page: Page;
const password = 'correct horse battery';
const stamp = Date.now();
const ada = { email: `ada-${stamp}@example.com`, prompt: 'a calm harbour at dawn' };
const bob = { email: `bob-${stamp}@example.com`, prompt: 'a lighthouse in fog' };

/** The account's balance and head as the server signs them (a separate session). */
const serverState = (email: string): Promise<{ balance: number; head: number }> =>
  serverSignedState(app?.serverUrl ?? '', email, password);

const balance = (): Promise<number> => topBarBalance(page);
const syncText = async (): Promise<string> =>
  (await page.getByTestId('sync-state').textContent()) ?? '';

const go = (label: string): Promise<void> => goTo(page, label);

async function enter(email: string, create: boolean): Promise<void> {
  // The sign-in card remembers a returning user: switch it to the form we need.
  const toggle = page.getByRole('button', {
    name: create ? 'Create a new account' : 'I already have an account',
  });
  if (await toggle.isVisible()) await toggle.click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: create ? 'Create account' : 'Sign in' }).click();
  await page.getByTestId('balance').waitFor({ timeout: 20_000 });
  await go('Studio');
}

async function signOut(): Promise<void> {
  await go('Settings');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Email').waitFor();
}

async function generate(prompt: string): Promise<void> {
  const before = await balance();
  await page.getByLabel('Prompt', { exact: true }).fill(prompt);
  const q = Number(await page.getByTestId('quote-credits').textContent());
  await page.getByRole('button', { name: 'Generate 1 image' }).click();
  await expect.poll(balance, { timeout: 40_000 }).toBe(before - q);
  await page.getByTestId('run-succeeded').first().waitFor({ timeout: 40_000 });
}

/** What the window shows of the account: balance, runs, gallery items and history entries. */
async function shown(): Promise<{
  balance: number;
  runs: number;
  gallery: number;
  history: string;
}> {
  await go('Studio');
  const runs = await page.locator('ul.run-list > li').count();
  await go('Gallery');
  await page.waitForTimeout(300);
  const gallery = await page.getByRole('button', { name: /^Dislike/ }).count();
  await go('History');
  const history = (await page.getByTestId('history-count').textContent()) ?? '';
  await go('Studio');
  return { balance: await balance(), runs, gallery, history };
}

beforeAll(async () => {
  app = await startE2eApp({ name: 'switch' });
  page = app.page;
});

afterAll(async () => {
  await app?.close();
});

describe('two accounts in turn in one window', () => {
  it('the first account generates a run', async () => {
    await enter(ada.email, true);
    await expect.poll(balance, { timeout: 20_000 }).toBeGreaterThanOrEqual(20);
    await generate(ada.prompt);
    await expect.poll(syncText, { timeout: 20_000 }).toMatch(/Up to date/);
    const mine = await serverState(ada.email);
    await expect.poll(balance, { timeout: 20_000 }).toBe(mine.balance);
    const seen = await shown();
    expect(seen.runs).toBe(1);
    expect(seen.gallery).toBe(1);
    expect(seen.history).toContain(`${mine.head} records`);
    await shot(page, 'account-switch-1-ada');
  });

  it('the second account, signed in without a reload, sees only its own data and gets up to date', async () => {
    const adaBalance = await balance();
    await signOut();
    await enter(bob.email, true);
    // As fast as a fresh start: its own balance and "Up to date" within seconds, never Ada's.
    const mine = await serverState(bob.email);
    expect(mine.balance).not.toBe(adaBalance);
    await expect.poll(balance, { timeout: 10_000 }).toBe(mine.balance);
    await expect.poll(syncText, { timeout: 10_000 }).toMatch(/Up to date/);
    const seen = await shown();
    expect(seen).toEqual({
      balance: mine.balance,
      runs: 0,
      gallery: 0,
      history: expect.stringContaining(`${mine.head} records`) as unknown as string,
    });
    await shot(page, 'account-switch-2-bob');
    await generate(bob.prompt);
  });

  it('back to the first account: its own balance, runs and gallery, none of the second’s', async () => {
    await signOut();
    await enter(ada.email, false);
    const mine = await serverState(ada.email);
    await expect.poll(balance, { timeout: 10_000 }).toBe(mine.balance);
    await expect.poll(syncText, { timeout: 10_000 }).toMatch(/Up to date/);
    const seen = await shown();
    expect(seen.runs).toBe(1);
    expect(seen.gallery).toBe(1);
    expect(seen.history).toContain(`${mine.head} records`);
    await shot(page, 'account-switch-3-ada-again');
  });
});
