import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { PurchaseStatus, StoreCatalog } from '../../../shared/ipc/types';
import type { SignedPriceBook } from '../../../shared/pricing/signed';
import type { DesignRow, EaselDb, OutboxRow } from '../db/db';
import { messageOf } from '../util/errors';
import { creditsText } from '../util/format';
import { watch } from '../util/live';

export interface CatalogState {
  priceBook: SignedPriceBook | null;
  store: StoreCatalog | null;
  designs: DesignRow[];
  outbox: OutboxRow[];
  purchase: PurchaseStatus | null;
  message: string | null;
  redeeming: string | null;
  start(): Promise<void>;
  refresh(): Promise<void>;
  buy(itemId: string): Promise<void>;
  redeem(designId: string): Promise<void>;
  stop(): void;
}

export type CatalogStore = StoreApi<CatalogState>;

const FINAL = new Set(['credited', 'cancelled', 'failed', 'timed-out']);

/** Price book, store catalog and designs: cached in Dexie so quotes and owned designs work offline. */
export function createCatalogStore(api: EaselApi, db: EaselDb, onChange: () => void): CatalogStore {
  let offline = false;
  const cleanups: Array<() => void> = [];
  return createStore<CatalogState>()((set, get) => ({
    priceBook: null,
    store: null,
    designs: [],
    outbox: [],
    purchase: null,
    message: null,
    redeeming: null,

    async start() {
      cleanups.push(
        watch(
          () => db.priceBooks.get('current'),
          (r) => set({ priceBook: r?.signed ?? null }),
        ),
        watch(
          () => db.catalog.get('store'),
          (r) => set({ store: r?.catalog ?? null }),
        ),
        watch(
          () => db.designs.toArray(),
          (designs) => set({ designs }),
        ),
        watch(
          () => db.outbox.toArray(),
          (outbox) => set({ outbox }),
        ),
        api.on('purchaseUpdate', (p) => {
          if (get().purchase?.sessionId !== p.sessionId) return;
          set({ purchase: p });
          if (p.status === 'credited') onChange();
        }),
        // Back online, or offline spends settled: the server now lists what was redeemed
        // offline, so refresh (which also clears the settled outbox rows).
        api.on('allowanceUpdate', (a) => {
          if (get().outbox.length > 0 && a?.pendingVouchers === 0) void get().refresh();
        }),
        api.on('syncState', (state) => {
          const wasOffline = offline;
          offline = state.status === 'offline';
          if (wasOffline && !offline) void get().refresh();
        }),
      );
      await get().refresh();
    },

    async refresh() {
      // Each piece on its own: offline, the cached copies stay.
      await Promise.allSettled([
        api.getPriceBook({}).then((signed) => db.priceBooks.put({ id: 'current', signed })),
        api.getStoreCatalog({}).then((catalog) => db.catalog.put({ id: 'store', catalog })),
        api.listDesigns({}).then(async (list) => {
          await db.transaction('rw', db.designs, async () => {
            for (const d of list) {
              const old = await db.designs.get(d.designId);
              await db.designs.put({
                ...d,
                owned: d.owned || (old?.owned ?? false),
                file: old?.file,
              });
            }
          });
        }),
      ]);
      // A redemption made offline is settled once the server lists the design as owned.
      const owned = new Set(
        get()
          .designs.filter((d) => d.owned)
          .map((d) => d.designId),
      );
      const settled = get().outbox.filter((o) => o.id !== undefined && owned.has(o.designId));
      if (
        settled.length > 0 &&
        (await api.getAllowance({}).catch(() => null))?.pendingVouchers === 0
      ) {
        await db.outbox.bulkDelete(settled.flatMap((o) => (o.id === undefined ? [] : [o.id])));
        // Replaces "…settles when you are back online", which is no longer true.
        set({
          message:
            settled.length === 1
              ? 'Your offline redemption has settled with the server.'
              : `${settled.length} offline redemptions have settled with the server.`,
        });
      }
    },

    async buy(itemId) {
      set({ message: null });
      try {
        const purchase = await api.startCheckout({ itemId });
        set({ purchase });
        // Events bring the outcome; poll too, in case an event is missed.
        for (let i = 0; i < 300 && !FINAL.has(get().purchase?.status ?? 'credited'); i++) {
          await new Promise((r) => setTimeout(r, 1000));
          const current = get().purchase;
          if (!current || current.sessionId !== purchase.sessionId) return;
          const fresh = await api
            .getPurchase({ sessionId: purchase.sessionId })
            .catch(() => current);
          set({ purchase: fresh });
          if (fresh.status === 'credited') onChange();
        }
      } catch (error) {
        set({ message: messageOf(error) });
      }
    },

    async redeem(designId) {
      const design = get().designs.find((d) => d.designId === designId);
      const book = get().priceBook;
      if (!design || !book) return;
      set({ redeeming: designId, message: null });
      try {
        const result = await api.redeemDesign({
          designId,
          expectedCredits: design.credits,
          priceBookVersion: book.book.version,
        });
        await db.designs.update(designId, { owned: true });
        if (result.mode === 'offline') {
          await db.outbox.add({
            kind: 'redeem',
            designId,
            credits: result.credits,
            at: new Date().toISOString(),
            voucherCounter: result.voucherCounter,
          });
        }
        const file = await api.designFile({ designId }).catch(() => null);
        if (file) await db.designs.update(designId, { file });
        set({
          message:
            result.mode === 'offline'
              ? `Redeemed offline for ${creditsText(result.credits)}; it settles when you are back online.`
              : `Redeemed for ${creditsText(result.credits)}.`,
        });
        onChange();
      } catch (error) {
        set({ message: messageOf(error) });
      } finally {
        set({ redeeming: null });
      }
    },

    stop() {
      for (const c of cleanups.splice(0)) c();
    },
  }));
}
