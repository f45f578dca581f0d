import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { IpcEnvelope } from '../../shared/ipc/contract';
import { createLogger } from '../../shared/log/logger';
import { startBrowserHost } from '../../main/browser-mode/host';
import { AllowanceHeader, recordKey } from '../../main/offline/device-records';
import { JournalStore, type StoreTx } from '../../main/storage/journal-store';
import { readConfig } from '../../server/config';
import { startServer, type RunningServer } from '../../server/start';
import { buildRendererIfStale, launchChromium, shot, tempDir } from './harness';
import { freePort } from '../support/ports';

/**
 * The device owner edits main's offline allowance (docs/architecture.md §5, §10), through the
 * real renderer in Chromium against a real server: with the app closed and the server gone,
 * the allowance record in main's device state is edited (its amount raised, its counter set
 * back), then the app spends offline from the Designs screen, then the server comes back.
 */

let server: RunningServer | null = null;
let host: Awaited<ReturnType<typeof startBrowserHost>> | null = null;
let browser: Browser | null = null;
let page: Page;
let serverPort = 0;
let hostPort = 0;
let rendererDir = '';
const serverDir = tempDir('easel-e2e-allowance-server-');
const appDir = tempDir('easel-e2e-allowance-app-');
const email = `allowance-${Date.now()}@example.com`;
const password = 'correct horse battery';
const RESERVE = 300;
// The demo catalog's prices (credits): what the offline spends below add up to.
const price = { confetti: 99, frames: 149, tidal: 199 } as const;

const launchServer = () =>
  startServer(
    readConfig({ EASEL_PORT: String(serverPort), EASEL_DATA_DIR: serverDir, EASEL_LOG: 'off' }),
  );

/** Main in browser mode, always on the same port, so the page keeps its origin and its cache. */
const launchHost = () =>
  startBrowserHost({
    serverUrl: `http://127.0.0.1:${serverPort}`,
    dataDir: appDir,
    rendererDir,
    port: hostPort,
  });

/** Calls main's IPC as the window does (browser mode serves it on loopback). */
async function ipc(call: string, params: unknown): Promise<IpcEnvelope> {
  const res = await fetch(`${host?.baseUrl ?? ''}/ipc/${call}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${host?.token ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return IpcEnvelope.parse(await res.json());
}

/**
 * Closes the app, edits its device state as the device's owner could (the raw journal store,
 * the app closed), and opens it again on the same page.
 */
async function restartEdited(edit: (tx: StoreTx) => void): Promise<void> {
  await host?.close();
  host = null;
  const store = await JournalStore.open(join(appDir, 'device-state'), {
    log: createLogger('off'),
  });
  await store.transaction(edit);
  await store.close();
  host = await launchHost();
  // A full load (a new token in the fragment alone would not reload the page).
  await page.goto('about:blank');
  await page.goto(host.url);
  await page.getByRole('heading', { name: 'Studio' }).waitFor();
}

/** The one open allowance in the device's record, changed by `change`. */
const editAllowance =
  (change: (current: NonNullable<AllowanceHeader['current']>) => object, forget = false) =>
  (tx: StoreTx): void => {
    const [key] = tx.keys('allowance/');
    if (!key) throw new Error('no allowance record in the device state');
    const header = AllowanceHeader.parse(tx.get(key));
    const current = header.current;
    if (!current) throw new Error('no open allowance');
    tx.put(key, { ...header, current: { ...current, ...change(current) } });
    if (!forget) return;
    // The vouchers kept say which counters were used: the owner deletes them too.
    const deviceId = decodeURIComponent(key.slice('allowance/'.length));
    for (const k of tx.keys(recordKey.vouchersOf(deviceId, current.allowanceId))) tx.delete(k);
  };

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

const card = (designId: string) => page.getByTestId(`design-${designId}`);

/** Redeems from the Designs screen while offline: the confirm dialog, then the pending mark. */
async function redeemOffline(designId: string, title: string): Promise<void> {
  await go('Designs');
  await card(designId)
    .getByRole('button', { name: /^Redeem offline/ })
    .click();
  const dialog = page.getByRole('dialog', { name: `Redeem ${title}?` });
  await dialog.getByRole('button', { name: /^Redeem for/ }).click();
  await card(designId).getByText('Owned · settles when back online').waitFor({ timeout: 15_000 });
}

const offlineLeft = async (): Promise<string> =>
  (await page.getByTestId('offline-left').textContent()) ?? '';

beforeAll(async () => {
  rendererDir = buildRendererIfStale();
  serverPort = await freePort();
  hostPort = await freePort();
  server = await launchServer();
  host = await launchHost();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.close();
  rmSync(serverDir, { recursive: true, force: true });
  rmSync(appDir, { recursive: true, force: true });
});

describe('an edited offline allowance file spends no more than the signed reserve (Chromium, real server)', () => {
  it('signs up and reserves an offline allowance online', async () => {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Studio' }).waitFor();
    const session = await ipc('getSession', {});
    if (!session.ok) throw new Error(session.error.message);
    const { accountId } = session.value as { accountId: string };
    await server?.services.ledger.grant(accountId, {
      operationId: 'grant-allowance-e2e',
      amount: 1000,
      source: 'promo',
      reason: 'test credits',
    });
    await go('Designs'); // caches the catalog for offline
    await card('design-confetti').waitFor();
    await go('Settings');
    await page
      .getByRole('region', { name: 'Offline allowance' })
      .getByLabel('Amount')
      .fill(String(RESERVE));
    await page.getByRole('button', { name: 'Take allowance' }).click();
    await page.getByText('Offline allowance reserved.').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('allowance-state').textContent()).toMatch(
      new RegExp(`^${RESERVE} of ${RESERVE} left`),
    );
    await go('Designs');
    await expect
      .poll(offlineLeft)
      .toBe(`Offline allowance: ${RESERVE} credits left to spend offline.`);
  });

  it('a raised amount: offline, the signed reserve still bounds what is spent', async () => {
    await server?.close();
    server = null;
    await restartEdited(editAllowance((c) => ({ claimed: { ...c.claimed, amount: 5000 } })));
    await go('Designs');
    await card('design-confetti')
      .getByRole('button', { name: /^Redeem offline/ })
      .waitFor({ timeout: 20_000 });
    // The signed entry's amount, not the file's.
    expect(await offlineLeft()).toBe(
      `Offline allowance: ${RESERVE} credits left to spend offline.`,
    );
    await redeemOffline('design-confetti', 'Confetti dots');
    await expect
      .poll(offlineLeft)
      .toBe(`Offline allowance: ${RESERVE - price.confetti} credits left to spend offline.`);
  });

  it('a counter set back: the next spend takes the next unused counter, and the bound holds', async () => {
    await restartEdited(editAllowance(() => ({ counter: 0 })));
    await redeemOffline('design-frames', 'Nested frames');
    const left = RESERVE - price.confetti - price.frames;
    await expect
      .poll(offlineLeft)
      .toBe(`Offline allowance: ${left} credits left to spend offline.`);
    // Tidal lines costs more than is left: the window will not offer it…
    const tidal = card('design-tidal');
    expect(await tidal.getByRole('button', { name: /^Redeem offline/ }).isDisabled()).toBe(true);
    await tidal
      .getByText(`More than your offline allowance left: ${price.tidal - left} credits short.`)
      .waitFor();
    // …and main refuses it when asked directly, whatever the file says.
    const book = await ipc('getPriceBook', {});
    if (!book.ok) throw new Error(book.error.message);
    const version = (book.value as { book: { version: number } }).book.version;
    const over = await ipc('redeemDesign', {
      designId: 'design-tidal',
      expectedCredits: price.tidal,
      priceBookVersion: version,
    });
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.error.code).toBe('allowance-exceeded');
    const state = await ipc('getAllowance', {});
    expect(state.ok && state.value).toMatchObject({
      amount: RESERVE,
      spentOffline: price.confetti + price.frames,
      pendingVouchers: 2,
    });
    await go('Settings');
    expect(await page.getByTestId('allowance-state').textContent()).toMatch(
      new RegExp(`^${left} of ${RESERVE} left`),
    );
    await shot(page, 'allowance-tamper-offline');
  });

  it('counter and vouchers erased: the reused counter is judged as one online, its claim undone and explained', async () => {
    await restartEdited(editAllowance(() => ({ counter: 0 }), true));
    await redeemOffline('design-tidal', 'Tidal lines');
    const spent = await ipc('getAllowance', {});
    expect(spent.ok && spent.value).toMatchObject({ pendingVouchers: 1 });

    server = await launchServer();
    // Back online: confetti and frames settle, tidal's voucher reused counter 1 and is refused.
    await go('Designs');
    const status = page.getByRole('status').filter({ hasText: 'refused' });
    await status.waitFor({ timeout: 60_000 });
    expect(await status.textContent()).toMatch(
      /The server refused your offline redemption of Tidal lines, so it is not yours: .*counter/i,
    );
    await card('design-tidal')
      .getByRole('button', { name: /^Redeem for/ })
      .waitFor({ timeout: 20_000 });
    expect(
      await card('design-tidal')
        .getByText(/^Owned/)
        .count(),
    ).toBe(0);
    await card('design-confetti')
      .getByText('Owned · available offline')
      .waitFor({ timeout: 20_000 });
    await card('design-frames').getByText('Owned · available offline').waitFor({ timeout: 20_000 });
    // Still said once the other two settled.
    expect(await status.textContent()).toMatch(/refused your offline redemption of Tidal lines/);
    await shot(page, 'allowance-tamper-refused');

    // The server judged it as a reused counter (its own check ran), and took 248 of 300.
    const session = await ipc('getSession', {});
    const { accountId } = (session.ok ? session.value : {}) as { accountId: string };
    const { rows } = await (server?.services.db.query<{ body: string }>(
      "select body from entries where account_id = $1 and type = 'rejection'",
      [accountId],
    ) ?? Promise.reject(new Error('no server')));
    expect(rows.map((r) => (JSON.parse(r.body) as { code: string }).code)).toEqual([
      'voucher-counter-reused',
    ]);
    await expect
      .poll(
        async () => {
          const a = await ipc('getAllowance', {});
          return a.ok ? a.value : null;
        },
        { timeout: 20_000 },
      )
      .toMatchObject({
        settled: price.confetti + price.frames,
        pendingVouchers: 0,
        rejected: [expect.objectContaining({ counter: 1, code: 'counter-reused' })],
      });
    await go('Settings');
    await expect
      .poll(async () => page.getByTestId('allowance-state').textContent(), { timeout: 20_000 })
      .toMatch(new RegExp(`^${RESERVE - price.confetti - price.frames} of ${RESERVE} left`));
  });
});
