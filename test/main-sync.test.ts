import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EaselApi } from '../shared/ipc/contract';
import { GENESIS } from '../shared/ledger/chain';
import { createBrowserEasel } from '../renderer/bridge/browser-client';
import { startBrowserHost } from '../main/browser-mode/host';
import { startFaultProxy } from './support/main-fault-proxy';
import {
  FakeRendererStore,
  collectEvents,
  expectEaselError,
  startPgliteServer,
  tempDir,
} from './support/main-harness';

type PullJson = {
  entries: Array<{ seq: number; hash: string; body: string }>;
  checkpoint: { checkpoint: Record<string, unknown>; signature: string };
  headSeq: number;
};
const asPull = (json: unknown) => json as PullJson;

describe('main over browser mode against a real server (PGlite)', () => {
  let server: Awaited<ReturnType<typeof startPgliteServer>>;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let host: Awaited<ReturnType<typeof startBrowserHost>>;
  let dataDir: string;
  let easel: EaselApi;
  let accountId: string;

  beforeAll(async () => {
    server = await startPgliteServer();
    proxy = await startFaultProxy(server.url);
    dataDir = await tempDir('easel-main-app-');
    host = await startBrowserHost({ serverUrl: proxy.url, dataDir, rendererDir: dataDir });
    easel = createBrowserEasel(host.baseUrl, host.token);
    const session = await easel.signUp({
      email: 'sync@example.com',
      password: 'correct horse battery',
    });
    accountId = session.accountId ?? '';
    // Enough entries for several batches, and credits to spend.
    for (let i = 0; i < 12; i++) {
      await server.services.ledger.grant(accountId, {
        operationId: `grant-${i}`,
        amount: 100,
        source: 'promo',
        reason: 'test credits',
      });
    }
  });
  beforeEach(() => proxy.reset());
  afterAll(async () => {
    await host.close();
    await proxy.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('signs in, syncs in verified batches, spends, and syncs the spend', async () => {
    const info = await easel.getSession({});
    expect(info).toMatchObject({
      signedIn: true,
      email: 'sync@example.com',
      insecureStorage: true,
    });
    expect(info.deviceId).toMatch(/\S/);
    const store = new FakeRendererStore();
    await store.syncAll(easel, 5);
    expect(store.head.seq).toBeGreaterThanOrEqual(13);
    expect((await easel.getSyncState({})).status).toBe('idle');

    const book = await easel.getPriceBook({});
    const design = (await easel.listDesigns({})).find((d) => d.designId === 'design-confetti');
    expect(design).toBeDefined();
    const redeemed = await easel.redeemDesign({
      designId: 'design-confetti',
      expectedCredits: design!.credits,
      priceBookVersion: book.book.version,
    });
    expect(redeemed).toMatchObject({ mode: 'online', credits: design!.credits });
    const before = store.head.seq;
    await store.syncAll(easel);
    expect(store.head.seq).toBe(before + 1);
    expect(JSON.parse(store.entries.at(-1)!.body)).toMatchObject({ type: 'spend' });
    const file = await easel.designFile({ designId: 'design-confetti' });
    expect(Buffer.from(file.base64, 'base64').toString()).toContain('<svg');
  });

  const refusals: Array<[string, (json: PullJson) => void, string]> = [
    [
      'a tampered entry',
      (j) => {
        const e = j.entries[1]!;
        e.body = e.body.replace(/"seq":/, '"note":"edited","seq":');
      },
      'hash-mismatch',
    ],
    ['a dropped entry', (j) => void j.entries.splice(1, 1), 'seq-gap'],
    [
      'a forged checkpoint',
      (j) => {
        j.checkpoint.checkpoint.balances = { image: 1_000_000 };
      },
      'bad-signature',
    ],
    [
      'a checkpoint with an unknown key id',
      (j) => {
        j.checkpoint.checkpoint.keyId = 'ffffffffffffffff';
      },
      'unknown-key',
    ],
  ];
  for (const [what, tamper, reason] of refusals) {
    it(`refuses ${what}, reports it, stores nothing, and recovers`, async () => {
      const store = new FakeRendererStore();
      const sse = collectEvents(host.baseUrl, host.token);
      await new Promise((r) => setTimeout(r, 50));
      proxy.faults.tamper = (path, json) => {
        if (path !== '/v1/ledger/entries') return json;
        const j = asPull(json);
        tamper(j);
        return j;
      };
      const error = await expectEaselError(store.syncAll(easel, 4));
      expect(error.code).toBe('verification-failed');
      expect(error.details).toMatchObject({ reason });
      expect(store.entries).toHaveLength(0);
      expect(store.head).toEqual(GENESIS);
      const state = await easel.getSyncState({});
      expect(state.status).toBe('error');
      expect(state.error?.code).toBe('verification-failed');
      await new Promise((r) => setTimeout(r, 50));
      await sse.stop();
      expect(sse.events.some((e) => e.event === 'verificationFailed')).toBe(true);

      proxy.reset();
      await store.syncAll(easel);
      expect(store.head.seq).toBeGreaterThan(10);
      expect((await easel.getSyncState({})).status).toBe('idle');
    });
  }

  it('refuses a forked history: a stored head the server never had', async () => {
    const store = new FakeRendererStore();
    await store.syncAll(easel);
    const forked = { seq: store.head.seq, hash: 'ab'.repeat(32) };
    const error = await expectEaselError(easel.pullBatch({ after: forked }));
    expect(error.code).toBe('verification-failed');
    expect(error.details).toMatchObject({ reason: 'checkpoint-mismatch' });
    // A head beyond the server's chain (rolled back, or another server's) is refused too.
    const ahead = await expectEaselError(
      easel.pullBatch({ after: { seq: store.head.seq + 50, hash: 'cd'.repeat(32) } }),
    );
    expect(ahead.details).toMatchObject({ reason: 'rollback' });
    // The renderer cannot claim to have stored a head main never verified.
    const unverified = await expectEaselError(easel.batchStored(forked));
    expect(unverified.code).toBe('unverified-head');
  });

  it('reports 500s as a server error and then syncs', async () => {
    const store = new FakeRendererStore();
    proxy.faults.fail500 = 2;
    expect((await expectEaselError(store.syncAll(easel))).code).toBe('server-error');
    expect((await easel.getSyncState({})).error?.code).toBe('server-error');
    expect((await expectEaselError(store.syncAll(easel))).code).toBe('server-error');
    await store.syncAll(easel);
    expect(store.head.seq).toBeGreaterThan(10);
  });

  it('resumes after the connection is cut mid-batch without re-downloading stored batches', async () => {
    const store = new FakeRendererStore();
    // First batch arrives and is stored; the second is cut half-way.
    const first = await easel.pullBatch({ after: store.head, limit: 5 });
    store.entries.push(...first.entries);
    store.head = { seq: first.checkpoint.checkpoint.seq, hash: first.checkpoint.checkpoint.head };
    await easel.batchStored(store.head);
    proxy.faults.cutNextPull = true;
    const error = await expectEaselError(easel.pullBatch({ after: store.head, limit: 5 }));
    expect(['offline', 'bad-response', 'timeout']).toContain(error.code);
    expect(store.head.seq).toBe(5);

    const seen: number[] = [];
    proxy.faults.tamper = (path, json) => {
      if (path === '/v1/ledger/entries') seen.push(...asPull(json).entries.map((e) => e.seq));
      return json;
    };
    await store.syncAll(easel, 5);
    expect(Math.min(...seen)).toBe(6); // nothing already stored came down again
    expect(store.entries.map((e) => e.seq)).toEqual(store.entries.map((_, i) => i + 1));
  });

  it('goes offline when the server is unreachable and keeps the price book and catalog readable', async () => {
    proxy.faults.down = true;
    const error = await expectEaselError(easel.pullBatch({ after: GENESIS }));
    expect(error.code).toBe('offline');
    const state = await easel.getSyncState({});
    expect(state.status).toBe('offline');
    expect(state.offlineSince).not.toBeNull();
    expect((await easel.getPriceBook({})).book.version).toBeGreaterThanOrEqual(1);
    expect((await easel.listDesigns({})).length).toBeGreaterThan(0);
    proxy.reset();
    const store = new FakeRendererStore();
    await store.syncAll(easel);
    expect((await easel.getSyncState({})).status).toBe('idle');
  });
});
