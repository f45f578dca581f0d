import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { AllowanceState, PurchaseStatus, StoreCatalog } from '../../../shared/ipc/types';
import type { SignedPriceBook } from '../../../shared/pricing/signed';
import type { DesignRow, EaselDb, OutboxRow } from '../db/db';
import { errorSentence, sentence } from '../util/errors';
import { creditsText } from '../util/format';
import { useTeams } from './team-store';
import { watch } from '../util/live';

export interface CatalogState {
  priceBook: SignedPriceBook | null;
  store: StoreCatalog | null;
  designs: DesignRow[];
  outbox: OutboxRow[];
  purchase: PurchaseStatus | null;
  message: string | null;
  /** The last buy or redeem that failed, as a sentence (shown as an alert). */
  error: string | null;
  redeeming: string | null;
  start(): Promise<void>;
  refresh(): Promise<void>;
  /** Starts a checkout; the purchase it returns says whether the renderer must open the page. */
  buy(itemId: string): Promise<PurchaseStatus | null>;
  /** Stops waiting for the pending checkout: the Buy buttons come back. */
  abandon(): void;
  redeem(designId: string): Promise<void>;
  stop(): void;
}

export type CatalogStore = StoreApi<CatalogState>;

const FINAL = new Set(['credited', 'cancelled', 'failed', 'timed-out']);

/** Price book, store catalog and designs: cached in Dexie so quotes and owned designs work offline. */
export function createCatalogStore(api: EaselApi, db: EaselDb, onChange: () => void): CatalogStore {
  let offline = false;
  const cleanups: Array<() => void> = [];
  /**
   * Offline claims the server refused (docs/architecture.md §5): the claim row goes, the design
   * is no longer owned here, and the message says why.
   */
  const undoRefused = async (allowance: AllowanceState | null): Promise<void> => {
    const refused = allowance?.rejected.filter((r) => r.designId) ?? [];
    if (refused.length === 0) return;
    const rows = await db.outbox.toArray();
    const undone: Array<{ designId: string; message: string }> = [];
    await db.transaction('rw', db.outbox, db.designs, async () => {
      for (const r of refused) {
        const row = rows.find(
          (o) =>
            o.designId === r.designId &&
            (o.voucherCounter === null || o.voucherCounter === r.counter),
        );
        if (row?.id === undefined || !r.designId) continue;
        await db.outbox.delete(row.id);
        await db.designs.update(r.designId, { owned: false, file: undefined });
        undone.push({ designId: r.designId, message: r.message });
      }
    });
    if (undone.length === 0) return;
    const titles = undone.map(
      (u) => store.getState().designs.find((d) => d.designId === u.designId)?.title ?? 'a design',
    );
    store.setState({
      message:
        undone.length === 1
          ? `The server refused your offline redemption of ${titles[0]}, so it is not yours: ${undone[0]?.message.replace(/\.$/, '')}.`
          : sentence(
              `The server refused ${undone.length} offline redemptions (${titles.join(', ')}), so they are not yours: ${undone.map((u) => u.message.replace(/\.$/, '')).join('; ')}`,
            ),
    });
    onChange();
  };
  /** Events bring a checkout's outcome; poll too, in case an event is missed. */
  const follow = async (sessionId: string): Promise<void> => {
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const current = store.getState().purchase;
      // Abandoned, or another checkout started: stop.
      if (!current || current.sessionId !== sessionId || FINAL.has(current.status)) return;
      const fresh = await api.getPurchase({ sessionId }).catch(() => current);
      if (store.getState().purchase?.sessionId !== sessionId) return;
      store.setState({
        purchase: { ...fresh, checkoutUrl: current.checkoutUrl, opened: current.opened },
      });
      if (fresh.status === 'credited') {
        onChange();
        void store.getState().refresh();
      }
    }
  };
  const store = createStore<CatalogState>()((set, get) => ({
    priceBook: null,
    store: null,
    designs: [],
    outbox: [],
    purchase: null,
    message: null,
    error: null,
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
          const current = get().purchase;
          if (current?.sessionId !== p.sessionId) return;
          set({
            purchase: {
              ...p,
              checkoutUrl: p.checkoutUrl ?? current.checkoutUrl,
              opened: current.opened,
            },
          });
          if (p.status === 'credited') {
            onChange();
            // A plan just bought: the Store marks it.
            void get().refresh();
          }
        }),
        // Back online, or offline spends settled: the server now lists what was redeemed
        // offline, so refresh (which also clears the settled outbox rows). A voucher the
        // server refused undoes its claim, and the Designs screen says why.
        api.on('allowanceUpdate', (a) => {
          void undoRefused(a).then(() => {
            if (get().outbox.length > 0 && a?.pendingVouchers === 0) void get().refresh();
          });
        }),
        api.on('syncState', (state) => {
          const wasOffline = offline;
          offline = state.status === 'offline';
          if (wasOffline && !offline) void get().refresh();
        }),
      );
      // Refusals that arrived while the window was closed.
      await undoRefused(await api.getAllowance({}).catch(() => null));
      await get().refresh();
    },

    async refresh() {
      // Each piece on its own: offline, the cached copies stay.
      await Promise.allSettled([
        api.getPriceBook({}).then((signed) => db.priceBooks.put({ id: 'current', signed })),
        api.getStoreCatalog({}).then((catalog) => db.catalog.put({ id: 'store', catalog })),
        api.listDesigns({}).then(async (list) => {
          await db.transaction('rw', db.designs, db.outbox, async () => {
            // Owned is what the server says, or an offline claim still waiting to settle.
            const claimed = new Set((await db.outbox.toArray()).map((o) => o.designId));
            for (const d of list) {
              const old = await db.designs.get(d.designId);
              await db.designs.put({
                ...d,
                owned: d.owned || claimed.has(d.designId),
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
      const listed = get().outbox.filter((o) => o.id !== undefined && owned.has(o.designId));
      // Settled once the allowance that paid (personal or a team's) has no voucher waiting; an
      // allowance already closed has none. Unknown (main unreachable): keep the claim.
      const waiting = new Map<string | undefined, boolean>();
      for (const teamId of new Set(listed.map((o) => o.teamId)))
        waiting.set(
          teamId,
          await api
            .getAllowance(teamId === undefined ? {} : { teamId })
            .then((a) => (a?.pendingVouchers ?? 0) > 0)
            .catch(() => true),
        );
      const settled = listed.filter((o) => waiting.get(o.teamId) === false);
      if (settled.length > 0) {
        await db.outbox.bulkDelete(settled.flatMap((o) => (o.id === undefined ? [] : [o.id])));
        // Replaces "…settles when you are back online", which is no longer true — but never
        // a refusal, which the user must still read (docs/architecture.md §5).
        const done =
          settled.length === 1
            ? 'Your offline redemption has settled with the server.'
            : `${settled.length} offline redemptions have settled with the server.`;
        const refusal = get().message?.startsWith('The server refused') ? get().message : null;
        set({ message: refusal ? `${refusal} ${done}` : done });
      }
    },

    async buy(itemId) {
      set({ message: null, error: null });
      let purchase: PurchaseStatus;
      try {
        purchase = await api.startCheckout({ itemId });
      } catch (error) {
        set({ error: errorSentence(error) });
        return null;
      }
      set({ purchase });
      void follow(purchase.sessionId);
      return purchase;
    },

    abandon() {
      if (!get().purchase) return;
      set({
        purchase: null,
        error: null,
        message:
          'You left that checkout. Nothing is charged unless you finish paying on its page; if you do, the credits still arrive.',
      });
    },

    async redeem(designId) {
      const design = get().designs.find((d) => d.designId === designId);
      const book = get().priceBook;
      if (!design || !book) return;
      set({ redeeming: designId, message: null, error: null });
      try {
        // With a team wallet chosen, its offline allowance pays, for the project picked on the
        // Designs screen (the same choice as the Studio's run bar; docs/architecture.md §14).
        const { selected: teamId, projectId, detail } = useTeams.getState();
        const forProject = (id: string | null): string => {
          const name = detail?.projects.find((p) => p.projectId === id)?.name;
          return name === undefined ? '' : ` for ${name}`;
        };
        const result = await api.redeemDesign({
          designId,
          expectedCredits: design.credits,
          priceBookVersion: book.book.version,
          ...(teamId === null ? {} : { teamId, projectId }),
        });
        await db.designs.update(designId, { owned: true });
        if (result.mode === 'offline') {
          await db.outbox.add({
            kind: 'redeem',
            designId,
            credits: result.credits,
            at: new Date().toISOString(),
            voucherCounter: result.voucherCounter,
            ...(teamId === null ? {} : { teamId }),
          });
        }
        const file = await api.designFile({ designId }).catch(() => null);
        if (file) await db.designs.update(designId, { file });
        set({
          message:
            teamId !== null
              ? result.mode === 'online'
                ? `Redeemed for ${creditsText(result.credits)} from the team wallet${forProject(projectId)}.`
                : `Redeemed for ${creditsText(result.credits)} from the team wallet's allowance${forProject(projectId)}; it settles on the team wallet.`
              : result.mode === 'offline'
                ? `Redeemed offline for ${creditsText(result.credits)}; it settles when you are back online.`
                : `Redeemed for ${creditsText(result.credits)}.`,
        });
        if (teamId !== null) void useTeams.getState().refresh(api);
        onChange();
      } catch (error) {
        set({ error: errorSentence(error) });
      } finally {
        set({ redeeming: null });
      }
    },

    stop() {
      for (const c of cleanups.splice(0)) c();
    },
  }));
  return store;
}
