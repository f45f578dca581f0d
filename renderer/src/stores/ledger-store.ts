import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { AllowanceState, SyncState } from '../../../shared/ipc/types';
import type { ChainHead } from '../../../shared/ledger/chain';
import type { SignedCheckpoint } from '../../../shared/ledger/checkpoint';
import type { WalletState } from '../../../shared/wallet/types';
import type { EaselDb } from '../db/db';
import { snapshotOf, type WalletSnapshot } from '../db/snapshot';
import { clearAccount, GENESIS_HASH, readCursor, storeBatch } from '../db/store-batch';
import type { LoadResult, Verification } from '../ledger/core';
import type { LedgerEngine } from '../ledger/engine';
import { dropUnproven } from '../ledger/heal';
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
   * What the shown wallet is (docs/architecture.md §3): a stored snapshot not yet checked
   * against the verified chain ('checking', never used to decide that credits suffice), the
   * fold of the verified chain, or the last proven state while the rest failed verification.
   */
  walletCheck: 'checking' | 'verified' | 'last-proven';
  /** A stored snapshot that disagreed with the verified chain: reported, never silently replaced. */
  snapshotProblem: string | null;
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
  // The last head a verified checkpoint signs, and whether stored rows after it are unproven.
  let proven: ChainHead & { checkpoint: SignedCheckpoint | null } = {
    seq: 0,
    hash: GENESIS_HASH,
    checkpoint: null,
  };
  let unproven = false;
  let keysMissing = false;

  const store = createStore<LedgerState>()((set, get) => {
    const fail = (v: Verification & { ok: false }): void =>
      set({
        verification: { status: 'failed', reason: v.reason, seq: v.seq, message: v.message },
        verifiedThrough: Math.max(0, (v.seq ?? 1) - 1),
      });

    // The wallet shown is the verified fold, saved with the head it was folded from (§3). Once
    // verified, a balance never goes backwards on screen or in the store: an older fold (a slow
    // view racing a pull) never replaces a newer one (docs/architecture.md §4).
    const showWallet = async (state: WalletState): Promise<void> => {
      const snapshot = snapshotOf(state, state.seq === proven.seq ? proven.hash : undefined);
      const shown = get().wallet;
      const older =
        shown !== null &&
        shown.accountId === snapshot.accountId &&
        snapshot.seq < shown.seq &&
        get().walletCheck === 'verified';
      if (older) return;
      set({ wallet: snapshot });
      await db.transaction('rw', db.snapshots, async () => {
        const stored = await db.snapshots.get('wallet');
        if (stored && stored.accountId === snapshot.accountId && stored.seq > snapshot.seq) {
          if (get().walletCheck === 'verified') return;
        }
        await db.snapshots.put({ id: 'wallet', ...snapshot });
      });
    };

    /** Re-verifies the stored chain with main's keys; folds only up to the proven head. */
    const verifyStored = async (checkRollback = true): Promise<LoadResult | null> => {
      let keys;
      try {
        keys = await api.getKeys({});
        keysMissing = false;
      } catch (error) {
        keysMissing = true;
        // Without main's keys nothing stored can be proven: the snapshot stays "checking…".
        fail({
          ok: false,
          reason: 'no-keys',
          seq: null,
          message: `the server's keys are not available to verify the stored history (${messageOf(error)})`,
        });
        return null;
      }
      const r = await engine.load({ now: new Date().toISOString(), accountId, keys });
      proven = r.proven;
      if (checkRollback && r.verification.ok) {
        // Main keeps the highest head this cache confirmed: a cache behind it was put back (§4).
        // Main not answering only skips this check: the chain itself was verified above.
        const confirmed = await api.getStoredHead({}).catch(() => null);
        if (confirmed && confirmed.seq > r.proven.seq) {
          r.verification = {
            ok: false,
            reason: 'rollback',
            seq: r.proven.seq + 1,
            message: `the stored history ends at entry ${r.proven.seq}, but this device already verified up to entry ${confirmed.seq}: an older copy was put back`,
          };
        }
      }
      const snap = r.snapshot;
      if (snap.status === 'mismatch') set({ snapshotProblem: snap.message });
      else if (snap.status === 'verified' && r.verification.ok) set({ snapshotProblem: null });
      if (r.verification.ok) {
        set({
          verification: { status: 'ok', seq: r.verification.seq, entries: r.entries, ms: r.ms },
          verifiedThrough: r.verification.seq,
          walletCheck: 'verified',
        });
      } else {
        fail(r.verification);
        set({ verifiedThrough: r.proven.seq, walletCheck: 'last-proven' });
      }
      // Nothing stored (a new device) is nothing known: the empty chain's 0 is not the account's
      // balance. The top bar keeps "…" until the first pull (docs/architecture.md §4).
      if (r.state.seq > 0 || get().wallet !== null) await showWallet(r.state);
      return r;
    };

    const pullAll = async (): Promise<void> => {
      for (;;) {
        const cursor = await readCursor(db);
        // A cache that failed verification pulls again from its last proven head (§4).
        const after = unproven
          ? { seq: proven.seq, hash: proven.hash }
          : cursor
            ? { seq: cursor.seq, hash: cursor.hash }
            : { seq: 0, hash: GENESIS_HASH };
        const batch = await api.pullBatch({ after, limit: 2000 });
        if (unproven) {
          // The server answered: only now are the unproven rows dropped, then verified afresh.
          await dropUnproven(db, accountId, proven);
          await storeBatch(db, accountId, batch.entries, batch.checkpoint, []);
          const r = await verifyStored(false);
          if (!r?.verification.ok) throw new Error('the re-synced ledger failed verification');
          unproven = false;
        } else {
          await storeBatch(db, accountId, batch.entries, batch.checkpoint, []);
          if (batch.entries.length > 0) {
            const { state, error } = await engine.append(batch.entries, new Date().toISOString());
            if (error && !error.ok) fail(error);
            else {
              proven = { ...headOf(batch.checkpoint), checkpoint: batch.checkpoint };
              if (get().verification.status !== 'failed') set({ verifiedThrough: proven.seq });
            }
            await showWallet(state);
          }
        }
        const head = headOf(batch.checkpoint);
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
      walletCheck: 'checking',
      snapshotProblem: null,

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
        if (!preloaded && get().wallet === null) {
          const row = await db.snapshots.get('wallet');
          if (row?.accountId === id) set({ wallet: row });
        }
        cleanups.push(
          watch(
            () => readCursor(db),
            (c) => set({ headSeq: c?.seq ?? 0, activities: c?.activities?.count ?? 0 }),
          ),
          api.on('ledgerChanged', () => void get().sync()),
          api.on('syncState', (s) => {
            const wasOffline = get().syncState?.status === 'offline';
            set({ syncState: s });
            // Back online with a cache that failed verification: heal it now (§4).
            if (wasOffline && s.status !== 'offline' && get().verification.status === 'failed') {
              void get().sync();
            }
          }),
          api.on('allowanceUpdate', (a) => set({ allowance: a })),
          api.on('verificationFailed', (v) =>
            fail({ ok: false, reason: v.reason, seq: v.seq, message: v.message }),
          ),
        );
        const tick = setInterval(() => {
          // Credits expire by time: re-view the fold now and then, not only when entries arrive.
          void ready.then(async () => {
            if (get().walletCheck !== 'checking') {
              await showWallet(await engine.view(new Date().toISOString()));
            }
          });
        }, 60_000);
        cleanups.push(() => clearInterval(tick));
        void api.getSyncState({}).then(
          (s) => set({ syncState: s }),
          () => undefined,
        );
        void get().refreshAllowance();
        // Re-verify the stored chain off the UI thread, then sync on top of it.
        ready = verifyStored().then((r) => {
          // Keys missing: nothing is dropped, the next sync tries again.
          unproven = r !== null && !r.verification.ok;
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
            if (keysMissing) {
              // Nothing could be verified without main's keys: try again before pulling.
              const r = await verifyStored();
              unproven = r !== null && !r.verification.ok;
            }
            do {
              again = false;
              await pullAll();
            } while (again);
            // An account with no entries at all: the server said so, 0 is now its balance.
            if (get().wallet === null)
              await showWallet(await engine.view(new Date().toISOString()));
            if (get().verification.status === 'failed') {
              // Main refused a batch earlier; the banner clears only when a fresh check passes.
              const r = await verifyStored();
              unproven = r !== null && !r.verification.ok;
            }
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

const headOf = (c: SignedCheckpoint): ChainHead => ({
  seq: c.checkpoint.seq,
  hash: c.checkpoint.head,
});

/** Unsettled offline spends: signed on this device, not yet in the ledger. */
export function pendingOffline(a: AllowanceState | null): number {
  if (!a) return 0;
  return Math.max(0, a.spentOffline - a.settled);
}
