import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { AllowanceState, SyncState } from '../../../shared/ipc/types';
import type { EaselDb } from '../db/db';
import { snapshotOf, type WalletSnapshot } from '../db/snapshot';
import { clearAccount, GENESIS_HASH, readCursor, storeBatch } from '../db/store-batch';
import type { Verification } from '../ledger/core';
import type { LedgerEngine } from '../ledger/engine';
import { isOfflineError, messageOf } from '../util/errors';
import { watch } from '../util/live';

type VerificationStatus =
  | { status: 'pending' }
  | { status: 'ok'; seq: number; entries: number; ms: number }
  | { status: 'failed'; reason: string; seq: number | null; message: string };

export interface LedgerState {
  /** The persisted wallet (live query): shown at once on a cold start, then kept current. */
  wallet: WalletSnapshot | null;
  headSeq: number;
  /** How many History activities are stored (built with the entries, docs/architecture.md §9). */
  activities: number;
  verification: VerificationStatus;
  syncState: SyncState | null;
  allowance: AllowanceState | null;
  syncing: boolean;
  syncError: string | null;
  /** Seq through which the stored chain is verified: rows above it are shown unverified. */
  verifiedThrough: number;
  /**
   * Starts reading the stored wallet snapshot at boot, while the session is still being asked
   * for, so `start` can show it at once (cold start: IndexedDB opens in parallel).
   */
  preload(): Promise<void>;
  start(accountId: string): Promise<void>;
  sync(): Promise<void>;
  refreshAllowance(): Promise<void>;
  stop(): void;
}

export type LedgerStore = StoreApi<LedgerState>;

/** Keeps the Dexie ledger cache in step with main (docs/architecture.md §4) and the wallet folded. */
export function createLedgerStore(api: EaselApi, db: EaselDb, engine: LedgerEngine): LedgerStore {
  const cleanups: Array<() => void> = [];
  let accountId = '';
  let running: Promise<void> | null = null;
  let again = false;
  let ready: Promise<void> = Promise.resolve();
  let early: Promise<WalletSnapshot | null> = Promise.resolve(null);
  // Once stopped (sign-out, another account), a start still awaiting IndexedDB subscribes nothing.
  let stopped = false;

  const store = createStore<LedgerState>()((set, get) => {
    const fail = (v: Verification & { ok: false }): void =>
      set({
        verification: { status: 'failed', reason: v.reason, seq: v.seq, message: v.message },
        verifiedThrough: Math.max(0, (v.seq ?? 1) - 1),
      });

    // A balance never goes backwards on screen: an older fold (a slow timer view racing a pull)
    // never replaces a newer one, stored or shown (docs/architecture.md §4).
    const saveSnapshot = async (snapshot: WalletSnapshot): Promise<void> => {
      await db.transaction('rw', db.snapshots, async () => {
        const stored = await db.snapshots.get('wallet');
        if (stored && stored.accountId === snapshot.accountId && stored.seq > snapshot.seq) return;
        await db.snapshots.put({ id: 'wallet', ...snapshot });
      });
    };
    const showWallet = (row: WalletSnapshot | null): void => {
      const shown = get().wallet;
      if (row && shown && row.accountId === shown.accountId && row.seq < shown.seq) return;
      set({ wallet: row });
    };

    const pullAll = async (): Promise<void> => {
      for (;;) {
        const cursor = await readCursor(db);
        const after = cursor
          ? { seq: cursor.seq, hash: cursor.hash }
          : { seq: 0, hash: GENESIS_HASH };
        const batch = await api.pullBatch({ after, limit: 2000 });
        const keys = cursor?.keys.length ? cursor.keys : await api.getKeys({});
        const head = await storeBatch(db, accountId, batch.entries, batch.checkpoint, keys);
        if (batch.entries.length > 0) {
          const { state, error } = await engine.append(batch.entries, new Date().toISOString());
          if (error && !error.ok) fail(error);
          else if (get().verification.status !== 'failed') set({ verifiedThrough: head.seq });
          await saveSnapshot(snapshotOf(state));
        }
        set({ headSeq: head.seq });
        await api.batchStored(head);
        if (batch.checkpoint.checkpoint.seq >= batch.headSeq) return;
      }
    };

    return {
      wallet: null,
      headSeq: 0,
      activities: 0,
      verification: { status: 'pending' },
      syncState: null,
      allowance: null,
      syncing: false,
      syncError: null,
      verifiedThrough: 0,

      async preload() {
        early = db.snapshots.get('wallet').then(
          (row) => row ?? null,
          () => null,
        );
        await early;
      },

      async start(id) {
        accountId = id;
        // The preloaded snapshot is shown only if it is this account's (else it is cleared below).
        const preloaded = await early;
        early = Promise.resolve(null);
        if (preloaded?.accountId === id && get().wallet === null) set({ wallet: preloaded });
        const cursor = await readCursor(db);
        if (cursor && cursor.accountId !== id) await clearAccount(db);
        if (stopped) return;
        cleanups.push(
          watch(
            () => db.snapshots.get('wallet'),
            (row) => showWallet(row ?? null),
          ),
          watch(
            () => readCursor(db),
            (c) => set({ headSeq: c?.seq ?? 0, activities: c?.activities?.count ?? 0 }),
          ),
          api.on('ledgerChanged', () => void get().sync()),
          api.on('syncState', (s) => set({ syncState: s })),
          api.on('allowanceUpdate', (a) => set({ allowance: a })),
          api.on('verificationFailed', (v) =>
            fail({ ok: false, reason: v.reason, seq: v.seq, message: v.message }),
          ),
        );
        const tick = setInterval(() => {
          // Credits expire by time: re-view the fold now and then, not only when entries arrive.
          void ready.then(async () => {
            await saveSnapshot(snapshotOf(await engine.view(new Date().toISOString())));
          });
        }, 60_000);
        cleanups.push(() => clearInterval(tick));
        void api.getSyncState({}).then(
          (s) => set({ syncState: s }),
          () => undefined,
        );
        void get().refreshAllowance();
        // Re-verify the stored chain off the UI thread, then sync on top of it.
        ready = engine.load(new Date().toISOString()).then(async (r) => {
          if (r.verification.ok) {
            set({
              verification: { status: 'ok', seq: r.verification.seq, entries: r.entries, ms: r.ms },
              verifiedThrough: r.verification.seq,
            });
          } else fail(r.verification);
          if (r.entries > 0) await saveSnapshot(snapshotOf(r.state));
        });
        await ready;
        await get().sync();
      },

      async sync() {
        if (running) {
          again = true;
          return running;
        }
        running = (async () => {
          set({ syncing: true });
          try {
            await ready;
            do {
              again = false;
              await pullAll();
            } while (again);
            set({ syncError: null });
          } catch (error) {
            set({ syncError: isOfflineError(error) ? null : messageOf(error) });
          } finally {
            set({ syncing: false });
            running = null;
          }
        })();
        await running;
        void get().refreshAllowance();
      },

      async refreshAllowance() {
        try {
          set({ allowance: await api.getAllowance({}) });
        } catch {
          // Keep the last known allowance: main may be momentarily busy.
        }
      },

      stop() {
        stopped = true;
        for (const c of cleanups.splice(0)) c();
        engine.close();
      },
    };
  });
  return store;
}

/** Unsettled offline spends: signed on this device, not yet in the ledger. */
export function pendingOffline(a: AllowanceState | null): number {
  if (!a) return 0;
  return Math.max(0, a.spentOffline - a.settled);
}
