import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { commands } from '../../server/admin/commands';
import { type E2eApp, signUp, startE2eApp } from './app';
import { axeSerious, shot } from './harness';

/**
 * Operator controls end to end (docs/architecture.md §2): an operator grants credits that start
 * later and moves their expiry with the admin commands; the app's History (browser mode, real
 * server on PGlite, Chromium) shows both with the operator's reason, from the verified ledger.
 */
let app: E2eApp | null = null;
let page: Page;
const email = `ops-${Date.now()}@example.com`;

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

const admin = async (name: string, ...args: string[]): Promise<string> => {
  const services = app?.server?.services;
  if (!services) throw new Error('no server');
  return commands[name]!.run(services, args);
};

beforeAll(async () => {
  app = await startE2eApp({ name: 'operator' });
  page = app.page;
});

afterAll(async () => {
  await app?.close();
});

describe('operator grants and expiry adjustments in History (browser mode, real server)', () => {
  // The loaded build machine: a sync and a few screens can take most of a minute.
  it(
    'shows the grant and the adjustment with the operator’s reason',
    { timeout: 180_000 },
    async () => {
      await signUp(page, email);
      const startsAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
      const granted = await admin(
        'grant',
        '--account',
        email,
        '--amount',
        '250',
        '--operator',
        'Ada Ops',
        '--reason',
        'Sorry for the outage on Monday',
        '--starts-at',
        startsAt,
        '--expires-days',
        '30',
        '--priority',
        '10',
      );
      const bucketId = /bucket (b_[0-9a-f-]+)/.exec(granted)?.[1] ?? '';
      expect(bucketId).not.toBe('');
      await admin(
        'adjust-expiry',
        '--bucket',
        bucketId,
        '--expires-at',
        new Date(Date.parse(startsAt) + 90 * 86_400_000).toISOString(),
        '--operator',
        'Ada Ops',
        '--reason',
        'Ticket 4711: travelling for two months',
      );

      await go('History');
      const grantRow = page.locator('.vrow').filter({ hasText: 'Credits from support' });
      const adjustRow = page.locator('.vrow').filter({ hasText: 'More time from support: until' });
      await grantRow.waitFor({ timeout: 30_000 });
      await adjustRow.waitFor({ timeout: 30_000 });
      expect(await grantRow.textContent()).toContain('Sorry for the outage on Monday — by Ada Ops');
      expect(await grantRow.textContent()).toMatch(/Credits from support, starting /);
      expect(await grantRow.locator('.amount').textContent()).toBe('+250 credits');
      expect(await adjustRow.textContent()).toContain('Ticket 4711: travelling for two months');
      expect(await adjustRow.locator('.status-chip').textContent()).toBe('adjusted');
      // Not yet spendable: the balance in the top bar leaves the future credits out.
      expect(
        Number(((await page.getByTestId('balance').textContent()) ?? '').replace(/,/g, '')),
      ).toBeLessThan(250);
      await shot(page, 'operator-01-history');

      await page.getByLabel('Activity').selectOption({ label: 'Support adjustment' });
      await expect
        .poll(async () => page.locator('.vrow .activity-toggle').allTextContents(), {
          timeout: 10_000,
        })
        .toEqual([
          expect.stringMatching(/^More time from support: until /),
          expect.stringMatching(/^Credits from support, starting /),
        ]);
      await adjustRow.getByRole('button', { name: 'More time from support' }).click();
      await expect
        .poll(async () => adjustRow.locator('.activity-entries li').first().textContent(), {
          timeout: 10_000,
        })
        .toMatch(/^#\d+Expiry changed0 credits[0-9a-f]{16}…✓ Verified$/);
      await shot(page, 'operator-02-adjustment-expanded');
      expect(await axeSerious(page)).toEqual([]);

      // The Wallet says when the future credits arrive; they are not in the balance yet.
      await go('Wallet');
      await page
        .getByTestId('balance-explained')
        .getByText(/^250 adjusted credits become usable on /)
        .waitFor({ timeout: 10_000 });
      await shot(page, 'operator-03-wallet');
      expect(await axeSerious(page)).toEqual([]);
    },
  );
});
