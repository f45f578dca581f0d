import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SessionResponse } from '../../shared/api/auth';
import { portableChainDigest } from '../../shared/crypto/sha256';
import { keyPairFromSecret } from '../../shared/crypto/ed25519';
import type { SignedCheckpoint } from '../../shared/ledger/checkpoint';
import { signCheckpoint } from '../../shared/ledger/checkpoint';
import { type E2eApp, startE2eApp } from './app';
import { shot } from './harness';

/**
 * Tampering with the renderer's ledger cache (docs/architecture.md §3, §4), through the real
 * renderer in Chromium against a real server: the cache is edited with the raw IndexedDB API,
 * the app is reloaded offline (only the cache can answer), then the server comes back.
 */

let app: E2eApp | null = null;
let page: Page;
const email = `tamper-${Date.now()}@example.com`;
const password = 'correct horse battery';

interface Row {
  seq: number;
  hash: string;
  body: string;
  [k: string]: unknown;
}
interface PageRec {
  page: number;
  rows: Row[];
  holdIds: string[];
}
interface Cache {
  dbName: string;
  pages: PageRec[];
  cursor: Record<string, unknown>[];
  checkpoints: unknown[];
  snapshots: Record<string, unknown>[];
}
const STORES = ['pages', 'cursor', 'checkpoints', 'snapshots'] as const;

/** Every record of the ledger cache, read with the raw IndexedDB API. */
async function readCache(): Promise<Cache> {
  return page.evaluate(async (stores) => {
    const req = <T>(r: IDBRequest<T>): Promise<T> =>
      new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    for (const info of await indexedDB.databases()) {
      const name = info.name ?? '';
      const db = await req(indexedDB.open(name));
      if (!db.objectStoreNames.contains('cursor')) {
        db.close();
        continue;
      }
      const out: Record<string, unknown> = { dbName: name };
      for (const s of stores) {
        // (A cache without per-batch checkpoints has only the cursor's.)
        out[s] = db.objectStoreNames.contains(s)
          ? await req(db.transaction(s).objectStore(s).getAll())
          : [];
      }
      db.close();
      return out as unknown as Cache;
    }
    throw new Error('no ledger cache in IndexedDB');
  }, STORES);
}

/** Replaces whole stores of the ledger cache, with the raw IndexedDB API. */
async function writeCache(cache: Cache): Promise<void> {
  await page.evaluate(
    async ({ cache, stores }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(cache.dbName);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const present = stores.filter((s) => db.objectStoreNames.contains(s));
      const tx = db.transaction(present, 'readwrite');
      for (const s of present) {
        const store = tx.objectStore(s);
        store.clear();
        for (const v of cache[s]) store.put(v);
      }
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { cache, stores: STORES },
  );
}

const rowsOf = (c: Cache): Row[] => c.pages.flatMap((p) => p.rows);
/** Recomputes every hash from `from` on, as someone rewriting the chain would. */
const rehashFrom = (c: Cache, from: number): void => {
  let prev = '0'.repeat(64);
  for (const r of rowsOf(c)) {
    if (r.seq >= from) r.hash = portableChainDigest(prev, r.body);
    prev = r.hash;
  }
};

const num = (t: string | null): number => Number((t ?? '').replace(/[^\d-]/g, ''));
const balance = async (): Promise<number> => num(await page.getByTestId('balance').textContent());

/** The server's own word: a token for this account, to write entries directly. */
async function serverToken(): Promise<string> {
  const res = await fetch(`${app?.serverUrl ?? ''}/v1/auth/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return SessionResponse.parse(await res.json()).token;
}

/** Charges `amount` credits directly on the server (a hold, then its capture): one new batch. */
async function chargeOnServer(amount: number): Promise<number> {
  const token = await serverToken();
  const base = app?.serverUrl ?? '';
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const id = `tamper-${Date.now()}-${amount}`;
  const hold = await fetch(`${base}/v1/ledger/holds`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      operationId: `op-hold-${id}`,
      amount,
      purpose: { kind: 'job', jobId: `job-${id}`, tool: 'generate' },
    }),
  });
  expect(hold.ok).toBe(true);
  const { holdId } = (await hold.json()) as { holdId: string };
  const capture = await fetch(`${base}/v1/ledger/holds/${holdId}/capture`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ operationId: `op-capture-${id}`, amount }),
  });
  expect(capture.ok).toBe(true);
  return amount;
}

/** Every balance the page showed, with its mark and the Run button's hint at that moment. */
const seen = (): Promise<{ balance: string; mark: string | null; hint: string | null }[]> =>
  page.evaluate(() => (window as unknown as { __seen: [] }).__seen);

// Truth after setup: the balances at the three signed heads (signup, first, second redemption).
const heads = { b0: 0, b1: 0, b2: 0, s1: 0, s2: 0, c2: 0 };

beforeAll(async () => {
  app = await startE2eApp({
    name: 'tamper',
    beforeGoto: async (p) => {
      // Records every balance the top bar shows, from the first frame on.
      await p.addInitScript(() => {
        const w = window as unknown as {
          __seen: { balance: string; mark: string | null; hint: string | null }[];
        };
        w.__seen = [];
        const record = (): void => {
          const b = document.querySelector('[data-testid="balance"]');
          if (!b) return;
          const entry = {
            balance: b.textContent ?? '',
            mark: document.querySelector('[data-testid="balance-check"]')?.textContent ?? null,
            hint: document.querySelector('.run .hint')?.textContent ?? null,
          };
          const last = w.__seen.at(-1);
          if (!last || JSON.stringify(last) !== JSON.stringify(entry)) w.__seen.push(entry);
        };
        new MutationObserver(record).observe(document, {
          subtree: true,
          childList: true,
          characterData: true,
        });
      });
    },
  });
  page = app.page;
}, 240_000);

afterAll(async () => {
  await app?.close();
});

async function reloadOnline(): Promise<void> {
  await page.reload();
  await page.getByRole('heading', { name: 'Studio' }).waitFor();
}

/** Stops the server, reloads: only the (tampered) cache can answer. */
async function reloadOffline(): Promise<void> {
  await app?.stopServer();
  await page.reload();
  await page.getByRole('heading', { name: 'Studio' }).waitFor();
}

/** Starts the server again and waits until the app re-synced and verified a fresh copy. */
async function healsOnline(expected: number): Promise<void> {
  await app?.startServer();
  await page.getByTestId('verification-banner').waitFor({ state: 'detached', timeout: 45_000 });
  await expect.poll(balance, { timeout: 20_000 }).toBe(expected);
  await expect
    .poll(async () => page.getByTestId('sync-state').textContent(), { timeout: 30_000 })
    .toMatch(/Up to date/);
  expect(await page.getByTestId('balance-check').count()).toBe(0);
  // And it stays healed on the next start.
  await reloadOnline();
  await expect.poll(balance, { timeout: 20_000 }).toBe(expected);
  expect(await page.getByTestId('verification-banner').count()).toBe(0);
}

/** Offline after a tamper: the banner, the last proven balance marked as such, never "Up to date". */
async function showsLastProven(proven: number, tampered: number | null): Promise<void> {
  await page.getByTestId('verification-banner').waitFor({ timeout: 20_000 });
  await expect.poll(balance, { timeout: 20_000 }).toBe(proven);
  expect(await page.getByTestId('balance-check').textContent()).toMatch(/last verified state/);
  expect(await page.getByTestId('sync-state').textContent()).not.toMatch(/Up to date/);
  if (tampered !== null) {
    // The tampered figure never appeared without a mark, from the first frame on.
    const shown = (await seen()).filter((s) => num(s.balance) === tampered && s.mark === null);
    expect(shown).toEqual([]);
  }
}

describe('a tampered ledger cache is never shown as verified, and heals online (Chromium, real server)', () => {
  it('signs up and stores three signed batches', async () => {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Studio' }).waitFor();
    await expect.poll(balance, { timeout: 20_000 }).toBeGreaterThan(0);
    heads.b0 = await balance();
    heads.b1 = heads.b0 - (await chargeOnServer(5));
    await reloadOnline();
    await expect.poll(balance, { timeout: 20_000 }).toBe(heads.b1);
    expect((await readCache()).cursor[0]?.seq).toBe(rowsOf(await readCache()).length);
    heads.c2 = await chargeOnServer(3);
    heads.b2 = heads.b1 - heads.c2;
    await reloadOnline();
    await expect.poll(balance, { timeout: 20_000 }).toBe(heads.b2);
    const cache = await readCache();
    heads.s2 = rowsOf(cache).length;
    // Each batch ended in a hold and its capture.
    heads.s1 = heads.s2 - 2;
    expect(cache.cursor[0]?.seq).toBe(heads.s2);
  });

  it('an amount changed and its hash recomputed: the tampered balance is never shown as verified', async () => {
    const cache = await readCache();
    const last = rowsOf(cache).find((r) => r.seq === heads.s2);
    if (!last) throw new Error('no last entry');
    last.body = last.body.replaceAll(`"amount":${heads.c2}`, '"amount":1');
    rehashFrom(cache, heads.s2);
    await writeCache(cache);
    await reloadOffline();
    await showsLastProven(heads.b1, heads.b2 + heads.c2 - 1);
    await shot(page, 'tamper-rehashed-offline');
    await healsOnline(heads.b2);
  });

  it('one edited byte', async () => {
    const cache = await readCache();
    const row = rowsOf(cache).find((r) => r.seq === heads.s1);
    if (!row) throw new Error('no entry');
    row.body = row.body.replace('"type":"', '"typE":"');
    await writeCache(cache);
    await reloadOffline();
    await showsLastProven(heads.b0, null);
    await healsOnline(heads.b2);
  });

  it('a deleted entry', async () => {
    const cache = await readCache();
    for (const p of cache.pages) p.rows = p.rows.filter((r) => r.seq !== heads.s1);
    await writeCache(cache);
    await reloadOffline();
    await showsLastProven(heads.b0, null);
    await healsOnline(heads.b2);
  });

  it('two swapped entries', async () => {
    const cache = await readCache();
    for (const p of cache.pages) {
      const i = p.rows.findIndex((r) => r.seq === heads.s1);
      const a = p.rows[i];
      const b = p.rows[i + 1];
      if (a && b) [p.rows[i], p.rows[i + 1]] = [b, a];
    }
    await writeCache(cache);
    await reloadOffline();
    await showsLastProven(heads.b0, null);
    await healsOnline(heads.b2);
  });

  it('a chain re-signed with a forged key, and that key written into the cache', async () => {
    const cache = await readCache();
    const last = rowsOf(cache).find((r) => r.seq === heads.s2);
    if (!last) throw new Error('no last entry');
    last.body = last.body.replaceAll(`"amount":${heads.c2}`, '"amount":1');
    rehashFrom(cache, heads.s2);
    const forged = keyPairFromSecret('42'.repeat(32));
    const genuine = cache.cursor[0]?.checkpoint as SignedCheckpoint | undefined;
    if (!genuine) throw new Error('no checkpoint');
    const checkpoint = signCheckpoint(
      { ...genuine.checkpoint, head: last.hash, keyId: forged.keyId },
      forged.secretKey,
    );
    cache.checkpoints = (cache.checkpoints as SignedCheckpoint[]).map((c) =>
      c.checkpoint.seq === heads.s2 ? checkpoint : c,
    );
    const keys = [{ keyId: forged.keyId, publicKey: forged.publicKey, status: 'active' }];
    cache.cursor = cache.cursor.map((c) => ({ ...c, hash: last.hash, checkpoint, keys }));
    await writeCache(cache);
    // The last genuine checkpoint before the forged one proves what is shown. (Healing above
    // re-pulled s0..s2 as one batch, so that is the signup's unless s1 still has its own.)
    const below = Math.max(
      ...(cache.checkpoints as SignedCheckpoint[])
        .map((c) => c.checkpoint.seq)
        .filter((seq) => seq < heads.s2),
    );
    await reloadOffline();
    await showsLastProven(below === heads.s1 ? heads.b1 : heads.b0, heads.b2 + heads.c2 - 1);
    await shot(page, 'tamper-forged-key-offline');
    await healsOnline(heads.b2);
  });

  it('a stored balance set to 99,999 is never shown as verified nor decides that credits suffice', async () => {
    // Let the app finish saving its own snapshot first, so it does not write over the tamper.
    await expect
      .poll(async () => page.getByTestId('sync-state').textContent(), { timeout: 30_000 })
      .toMatch(/Up to date/);
    await new Promise((r) => setTimeout(r, 1000));
    const cache = await readCache();
    cache.snapshots = cache.snapshots.map((s) => {
      const balances = s.balances as Record<string, Record<string, number>>;
      const image = balances.image ?? {};
      return {
        ...s,
        balances: { ...balances, image: { ...image, balance: 99_999, available: 99_999 } },
      };
    });
    await writeCache(cache);
    await page.reload();
    await page.getByTestId('snapshot-banner').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('snapshot-banner').textContent()).toMatch(/99999 image/);
    await expect.poll(balance, { timeout: 20_000 }).toBe(heads.b2);
    await shot(page, 'tamper-snapshot-reported');
    const shown = (await seen()).filter((s) => num(s.balance) === 99_999);
    // Shown at most as "checking…", with the Run button waiting for the check.
    for (const s of shown) {
      expect(s.mark).toMatch(/checking/);
      if (s.hint !== null) expect(s.hint).toMatch(/Checking your credits/);
    }
    expect(await page.getByTestId('balance-check').count()).toBe(0);
  });

  it('a cache put back to an older copy (rollback) is shown as the last verified state, then heals', async () => {
    await expect
      .poll(async () => page.getByTestId('sync-state').textContent(), { timeout: 30_000 })
      .toMatch(/Up to date/);
    await new Promise((r) => setTimeout(r, 1000));
    const older = await readCache();
    const b3 = heads.b2 - (await chargeOnServer(2));
    await reloadOnline();
    await expect.poll(balance, { timeout: 20_000 }).toBe(b3);
    await writeCache(older);
    await reloadOffline();
    await page.getByTestId('verification-banner').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('verification-banner').textContent()).toMatch(/older copy/);
    await expect.poll(balance, { timeout: 20_000 }).toBe(heads.b2);
    expect(await page.getByTestId('balance-check').textContent()).toMatch(/last verified state/);
    // The older balance was never shown as the verified current one.
    const shown = (await seen()).filter((s) => num(s.balance) === heads.b2 && s.mark === null);
    expect(shown).toEqual([]);
    await shot(page, 'tamper-rollback-offline');
    await healsOnline(b3);
  });
});
