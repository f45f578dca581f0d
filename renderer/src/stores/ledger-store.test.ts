// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeEasel } from '../../testing/fake-easel';
import { openDb } from '../db/db';
import { countRows } from '../db/entry-pages';
import { createAppStores, type AppStores } from './app-stores';

let stores: AppStores | null = null;
let n = 0;
const fresh = (): string => `test-ledger-${++n}`;

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

describe('ledger store', () => {
  it('pulls batches, stores them with their cursor, and folds the balance', async () => {
    const api = createFakeEasel();
    api.grant(20, 'daily');
    api.grant(50, 'bonus', 30);
    const db = openDb(fresh());
    stores = createAppStores(api, { openDb: () => db, remember: null });
    await stores.startAccount('acct-1');
    await until(() => stores?.ledger.getState().wallet?.balances.image?.balance === 70);
    const cursor = await db.cursor.get('head');
    expect(cursor?.seq).toBe(2);
    expect(await countRows(db)).toBe(2);
    expect(stores.ledger.getState().verification.status).toBe('ok');
    expect(api.calls).toContain('batchStored');
  });

  it('pulls in several batches until the head and follows ledgerChanged', async () => {
    const api = createFakeEasel();
    api.bulkGrant(4500);
    const db = openDb(fresh());
    stores = createAppStores(api, { openDb: () => db, remember: null });
    await stores.startAccount('acct-1');
    expect(await countRows(db)).toBe(4500);
    expect(await db.pages.count()).toBe(45);
    expect(api.calls.filter((c) => c === 'pullBatch').length).toBe(3);
    api.grant(7, 'daily');
    api.emit('ledgerChanged', { headSeq: 4501 });
    await until(() => stores?.ledger.getState().wallet?.balances.image?.balance === 4507);
  });

  it('shows the stored snapshot on a cold start and re-verifies the stored chain', async () => {
    const api = createFakeEasel();
    api.grant(20, 'daily');
    const name = fresh();
    const first = createAppStores(api, { openDb: () => openDb(name), remember: null });
    await first.startAccount('acct-1');
    first.stop();

    api.online = false;
    stores = createAppStores(api, { openDb: () => openDb(name), remember: null });
    await stores.startAccount('acct-1');
    await until(() => stores?.ledger.getState().wallet !== null);
    const s = stores.ledger.getState();
    expect(s.wallet?.balances.image?.balance).toBe(20);
    expect(s.verification).toMatchObject({ status: 'ok', seq: 1 });
  });

  it('shows the preloaded snapshot before the stored chain is re-verified, and only for its account', async () => {
    const api = createFakeEasel();
    api.grant(20, 'daily');
    api.grant(30, 'bonus', 30);
    const name = fresh();
    const first = createAppStores(api, { openDb: () => openDb(name), remember: null });
    await first.startAccount('acct-1');
    first.stop();

    // Reading the cursor never finishes and neither does re-verification: only the snapshot
    // preloaded at boot can put a balance on screen.
    const stalled = {
      load: () => new Promise<never>(() => undefined),
      append: () => new Promise<never>(() => undefined),
      view: () => new Promise<never>(() => undefined),
      close: () => undefined,
    };
    const blockedCursor = (): ReturnType<typeof openDb> => {
      const db = openDb(name);
      Object.assign(db.cursor, { get: () => new Promise<never>(() => undefined) });
      return db;
    };
    api.online = false;
    const remember = new Map<string, string>([['easel.lastAccount', 'acct-1']]);
    const storage = {
      getItem: (k: string) => remember.get(k) ?? null,
      setItem: (k: string, v: string) => void remember.set(k, v),
      removeItem: (k: string) => void remember.delete(k),
    };
    const again = createAppStores(api, {
      openDb: blockedCursor,
      engine: () => stalled,
      remember: storage,
    });
    await again.preload();
    void again.startAccount('acct-1');
    await until(() => again.ledger.getState().wallet !== null);
    expect(again.ledger.getState().wallet?.balances.image?.balance).toBe(50);
    expect(again.ledger.getState().verification.status).toBe('pending');
    again.stop();

    // Another account signs in on this machine: the old snapshot is never shown to it.
    const other = createAppStores(api, {
      openDb: blockedCursor,
      engine: () => stalled,
      remember: storage,
    });
    await other.preload();
    void other.startAccount('acct-2');
    await new Promise((r) => setTimeout(r, 100));
    expect(other.ledger.getState().wallet).toBeNull();
    other.stop();
  });

  it('reports a tampered cache as a failed verification', async () => {
    const api = createFakeEasel();
    api.grant(20, 'daily');
    api.grant(30, 'bonus', 30);
    const name = fresh();
    const db = openDb(name);
    const first = createAppStores(api, { openDb: () => db, remember: null });
    await first.startAccount('acct-1');
    first.stop();
    const tamper = openDb(name);
    const page = await tamper.pages.get(0);
    const row = page?.rows[0];
    if (!page || !row) throw new Error('entry 1 is not stored');
    row.body = row.body.replace('"amount":20', '"amount":2000');
    await tamper.pages.put(page);
    tamper.close();

    api.online = false;
    stores = createAppStores(api, { openDb: () => openDb(name), remember: null });
    await stores.startAccount('acct-1');
    const v = stores.ledger.getState().verification;
    expect(v).toMatchObject({ status: 'failed', reason: 'hash-mismatch', seq: 1 });
    expect(stores.ledger.getState().verifiedThrough).toBe(0);
  });

  it('charges a generate run exactly its quote and refunds a dislike', async () => {
    const api = createFakeEasel();
    api.grant(20, 'daily');
    api.grant(50, 'bonus', 30);
    const db = openDb(fresh());
    stores = createAppStores(api, { openDb: () => db, remember: null });
    await stores.startAccount('acct-1');
    const { quote } = await import('../../../shared/pricing/quote');
    const book = (await api.getPriceBook({})).book;
    const req = {
      tool: 'generate',
      mode: 'text-to-image',
      width: 512,
      height: 512,
      steps: 20,
      model: 'standard',
      count: 2,
    } as const;
    const q = quote(book, req);
    const { tool: _tool, ...shape } = req;
    const params = { ...shape, prompt: 'a cat', seed: 42 };
    const job = await stores.jobs.getState().submit('generate', params, q);
    expect(job?.state).toBe('succeeded');
    await until(() => stores?.ledger.getState().wallet?.balances.image?.balance === 70 - q.credits);
    await until(() => (stores?.jobs.getState().gallery.length ?? 0) === 2);
    const item = stores.jobs.getState().gallery[0];
    expect(await stores.jobs.getState().dislike(item?.itemId ?? '')).toBe(4);
    await until(
      () => stores?.ledger.getState().wallet?.balances.image?.balance === 70 - q.credits + 4,
    );
  });

  it('a new device shows no balance until its first pull, never a verified 0', async () => {
    const api = createFakeEasel();
    api.grant(20, 'daily');
    api.grant(50, 'bonus', 30);
    const db = openDb(fresh());
    stores = createAppStores(api, { openDb: () => db, remember: null });
    // Every wallet the store shows is saved as the snapshot the next start shows first.
    const saved = vi.spyOn(db.snapshots, 'put');
    await stores.startAccount('acct-1');
    await until(() => stores?.ledger.getState().wallet?.balances.image?.balance === 70);
    // Nothing stored is nothing known: an empty chain's fold is not the account's balance.
    const shown = saved.mock.calls.map(([w]) => w.balances.image?.balance ?? 0);
    expect(shown).toEqual([70]);
  });

  it('an account with no entries at all shows 0 once the server says so', async () => {
    const api = createFakeEasel();
    const db = openDb(fresh());
    stores = createAppStores(api, { openDb: () => db, remember: null });
    await stores.startAccount('acct-1');
    await until(() => stores?.ledger.getState().wallet !== null);
    expect(stores.ledger.getState().wallet?.balances.image?.balance ?? 0).toBe(0);
  });

  it('never shows an older balance after a newer one (newer seq wins)', async () => {
    const api = createFakeEasel();
    api.grant(20, 'daily');
    const db = openDb(fresh());
    stores = createAppStores(api, { openDb: () => db, remember: null });
    await stores.startAccount('acct-1');
    await until(() => stores?.ledger.getState().wallet?.balances.image?.balance === 20);
    const first = stores.ledger.getState().wallet;
    api.grant(30, 'bonus', 30);
    api.emit('ledgerChanged', { headSeq: 2 });
    await until(() => stores?.ledger.getState().wallet?.balances.image?.balance === 50);
    // A late write of the older fold (seq 1, 20 credits) must not take the screen back.
    if (!first) throw new Error('no first wallet');
    await db.snapshots.put({ id: 'wallet', ...first });
    await new Promise((r) => setTimeout(r, 100));
    expect(stores.ledger.getState().wallet?.seq).toBe(2);
    expect(stores.ledger.getState().wallet?.balances.image?.balance).toBe(50);
  });

  it('keeps the runs list in the account’s database: it shows after a reload, offline', async () => {
    const api = createFakeEasel();
    api.grant(50, 'bonus', 30);
    const name = fresh();
    const first = createAppStores(api, { openDb: () => openDb(name), remember: null });
    await first.startAccount('acct-1');
    const { quote } = await import('../../../shared/pricing/quote');
    const book = (await api.getPriceBook({})).book;
    const req = {
      tool: 'generate',
      mode: 'text-to-image',
      width: 512,
      height: 512,
      steps: 20,
      model: 'standard',
      count: 1,
    } as const;
    const { tool: _tool, ...shape } = req;
    const job = await first.jobs
      .getState()
      .submit('generate', { ...shape, prompt: 'a fox', seed: 1 }, quote(book, req));
    first.stop();

    api.online = false;
    stores = createAppStores(api, { openDb: () => openDb(name), remember: null });
    await stores.startAccount('acct-1');
    expect(Object.keys(stores.jobs.getState().jobs)).toEqual([job?.jobId]);
  });
});
