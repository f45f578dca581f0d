// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { portableChainDigest } from '../../../shared/crypto/sha256';
import { keyPairFromSecret } from '../../../shared/crypto/ed25519';
import { signCheckpoint } from '../../../shared/ledger/checkpoint';
import { createFakeEasel, type FakeEasel } from '../../testing/fake-easel';
import { openDb, type EaselDb, type EntryRow } from '../db/db';
import { readRows } from '../db/entry-pages';
import { createAppStores, type AppStores } from '../stores/app-stores';
import { inThreadEngine, type LedgerEngine } from './engine';

let stores: AppStores | null = null;
let n = 0;
const fresh = (): string => `test-tamper-${++n}`;

afterEach(() => {
  stores?.stop();
  stores = null;
});

const until = async (check: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Four entries stored in three batches (checkpoints at 2, 3 and 4): 20 + 50 + 7 + 11 = 88. */
async function cached(): Promise<{ api: FakeEasel; name: string }> {
  const api = createFakeEasel();
  api.grant(20, 'daily');
  api.grant(50, 'bonus', 30);
  const name = fresh();
  const first = createAppStores(api, { openDb: () => openDb(name), remember: null });
  await first.startAccount('acct-1');
  api.grant(7, 'bonus', 30);
  await first.ledger.getState().sync();
  api.grant(11, 'bonus', 30);
  await first.ledger.getState().sync();
  expect(first.ledger.getState().wallet?.balances.image?.balance).toBe(88);
  expect((await openDb(name).checkpoints.toArray()).map((c) => c.checkpoint.seq)).toEqual([
    2, 3, 4,
  ]);
  first.stop();
  return { api, name };
}

/** Rewrites stored rows with `edit`, recomputing each hash from its predecessor (a rehash). */
async function rewrite(
  db: EaselDb,
  edit: (row: EntryRow) => void,
  opts: { rehash: boolean },
): Promise<void> {
  const pages = await db.pages.toArray();
  let prev = '0'.repeat(64);
  for (const p of pages)
    for (const r of p.rows) {
      edit(r);
      if (opts.rehash) r.hash = portableChainDigest(prev, r.body);
      prev = r.hash;
    }
  await db.pages.bulkPut(pages);
}

const balance = (): number | undefined => stores?.ledger.getState().wallet?.balances.image?.balance;

async function restart(api: FakeEasel, name: string, online: boolean): Promise<AppStores> {
  api.online = online;
  stores = createAppStores(api, { openDb: () => openDb(name), remember: null });
  await stores.startAccount('acct-1');
  return stores;
}

describe('a tampered ledger cache shows only what a signature proves, and heals online', () => {
  it('an amount changed and its hash recomputed is never counted; online it is pulled again', async () => {
    const { api, name } = await cached();
    await rewrite(
      openDb(name),
      (r) => {
        if (r.seq === 4) r.body = r.body.replace('"amount":11,', '"amount":9011,');
      },
      { rehash: true },
    );
    const s = await restart(api, name, false);
    expect(s.ledger.getState().verification).toMatchObject({ status: 'failed' });
    expect(s.ledger.getState().walletCheck).toBe('last-proven');
    expect(s.ledger.getState().verifiedThrough).toBe(3);
    expect(balance()).toBe(77);
    expect((await s.db.snapshots.get('wallet'))?.balances.image?.balance).toBe(77);

    api.online = true;
    await s.ledger.getState().sync();
    expect(s.ledger.getState().verification).toMatchObject({ status: 'ok', seq: 4 });
    expect(s.ledger.getState().walletCheck).toBe('verified');
    expect(balance()).toBe(88);
    expect((await readRows(s.db, 4, 4))[0]?.body).toContain('"amount":11,');
  });

  it('a changed byte in an early entry loses only what follows the last proven batch', async () => {
    const { api, name } = await cached();
    await rewrite(
      openDb(name),
      (r) => {
        if (r.seq === 3) r.body = r.body.replace('"amount":7,', '"amount":8,');
      },
      { rehash: false },
    );
    const s = await restart(api, name, false);
    expect(s.ledger.getState().verification).toMatchObject({
      status: 'failed',
      reason: 'hash-mismatch',
      seq: 3,
    });
    expect(balance()).toBe(70);
    api.online = true;
    await s.ledger.getState().sync();
    expect(s.ledger.getState().verification.status).toBe('ok');
    expect(balance()).toBe(88);
  });

  it('a deleted entry and two swapped entries are refused and re-pulled', async () => {
    for (const tamper of ['delete', 'swap'] as const) {
      const { api, name } = await cached();
      const db = openDb(name);
      const page = await db.pages.get(0);
      if (!page) throw new Error('no page');
      if (tamper === 'delete') page.rows.splice(1, 1);
      else
        page.rows = [page.rows[0], page.rows[2], page.rows[1], page.rows[3]].flatMap((r) =>
          r ? [r] : [],
        );
      await db.pages.put(page);
      const s = await restart(api, name, false);
      expect(s.ledger.getState().verification).toMatchObject({ status: 'failed', seq: 2 });
      // Nothing before entry 2 is signed on its own: nothing is counted.
      expect(balance() ?? 0).toBe(0);
      expect(s.ledger.getState().walletCheck).toBe('last-proven');
      api.online = true;
      await s.ledger.getState().sync();
      expect(s.ledger.getState().verification.status).toBe('ok');
      expect(balance()).toBe(88);
      stores?.stop();
      stores = null;
    }
  });

  it('a chain re-signed with a forged key written into the cache is not verified by it', async () => {
    const { api, name } = await cached();
    const db = openDb(name);
    await rewrite(
      db,
      (r) => {
        if (r.seq === 4) r.body = r.body.replace('"amount":11,', '"amount":9011,');
      },
      { rehash: true },
    );
    const forged = keyPairFromSecret('22'.repeat(32));
    const cursor = await db.cursor.get('head');
    const last = (await readRows(db, 4, 4))[0];
    if (!cursor?.checkpoint || !last) throw new Error('nothing stored');
    const checkpoint = signCheckpoint(
      { ...cursor.checkpoint.checkpoint, head: last.hash, keyId: forged.keyId },
      forged.secretKey,
    );
    await db.checkpoints.put(checkpoint);
    await db.cursor.put({
      ...cursor,
      hash: last.hash,
      checkpoint,
      keys: [{ keyId: forged.keyId, publicKey: forged.publicKey, status: 'active' }],
    });
    const s = await restart(api, name, false);
    expect(s.ledger.getState().verification.status).toBe('failed');
    expect(balance()).toBe(77);
    api.online = true;
    await s.ledger.getState().sync();
    expect(s.ledger.getState().verification.status).toBe('ok');
    expect(balance()).toBe(88);
    expect((await s.db.cursor.get('head'))?.checkpoint?.checkpoint.keyId).not.toBe(forged.keyId);
  });

  it('a stored snapshot is "checking…" until verified, and a false one is reported', async () => {
    const { api, name } = await cached();
    const db = openDb(name);
    const snap = await db.snapshots.get('wallet');
    const image = snap?.balances.image;
    if (!snap || !image) throw new Error('no snapshot');
    await db.snapshots.put({
      ...snap,
      balances: { ...snap.balances, image: { ...image, balance: 99_999, available: 99_999 } },
    });

    // While verification has not finished, the snapshot is only "checking…".
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const real = inThreadEngine(openDb(name));
    const slow: LedgerEngine = { ...real, load: async (i) => gate.then(() => real.load(i)) };
    api.online = false;
    stores = createAppStores(api, {
      openDb: () => openDb(name),
      engine: () => slow,
      // The last account is remembered, so its stores open and read the snapshot at boot.
      remember: { getItem: () => 'acct-1', setItem: () => undefined, removeItem: () => undefined },
    });
    await stores.preload();
    const started = stores.startAccount('acct-1');
    await until(() => balance() !== undefined);
    expect(balance()).toBe(99_999);
    expect(stores.ledger.getState().walletCheck).toBe('checking');
    release();
    await started;
    expect(stores.ledger.getState().walletCheck).toBe('verified');
    expect(balance()).toBe(88);
    expect(stores.ledger.getState().snapshotProblem).toMatch(/99999 image/);
    expect(stores.ledger.getState().snapshotProblem).toMatch(/88 image/);
  });
});
