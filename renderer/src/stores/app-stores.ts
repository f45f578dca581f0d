import { Dexie } from 'dexie';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { EaselDb } from '../db/db';
import { inThreadEngine, type LedgerEngine } from '../ledger/engine';
import { createAccountStores, type AccountStores } from './account-stores';
import type { CatalogStore } from './catalog-store';
import type { JobsStore } from './jobs-store';
import type { LedgerStore } from './ledger-store';
import { createSessionStore, type SessionStore } from './session-store';
import type { StudioStore } from './studio-store';

export interface AppStoresOptions {
  /** Opens the IndexedDB database of one account (its name includes the account id). */
  openDb: (accountId: string) => EaselDb;
  /** The ledger engine over that database: a Web Worker in the app, in-thread in tests. */
  engine?: (db: EaselDb) => LedgerEngine;
  /** Where the last signed-in account id is remembered, so its balance shows at once on boot. */
  remember?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  /** A database from before per-account storage, deleted once an account has opened its own. */
  legacyDb?: string;
}

export interface AppStores {
  api: EaselApi;
  session: SessionStore;
  /** The signed-in account's stores (null when signed out); App renders only for `current`. */
  account: StoreApi<{ current: AccountStores | null }>;
  /** The current account's database and stores; they throw when no account is open. */
  readonly db: EaselDb;
  readonly ledger: LedgerStore;
  readonly catalog: CatalogStore;
  readonly jobs: JobsStore;
  readonly studio: StudioStore;
  /** At boot, before the session answers: opens the last account's stores and reads its snapshot. */
  preload(): Promise<void>;
  /** Opens (or keeps) the stores of `accountId`, closing any other account's, and starts them. */
  startAccount(accountId: string): Promise<void>;
  /** Closes the account's stores, signs out, and deletes the account's local database. */
  signOut(): Promise<void>;
  stop(): void;
}

const REMEMBER_KEY = 'easel.lastAccount';

const defaultStorage = (): AppStoresOptions['remember'] =>
  typeof localStorage === 'undefined' ? null : localStorage;

/** All stores, with the api and databases injected (tests pass a fake api and fake-indexeddb). */
export function createAppStores(api: EaselApi, options: AppStoresOptions): AppStores {
  const session = createSessionStore(api);
  const account = createStore<{ current: AccountStores | null }>()(() => ({ current: null }));
  const remember = options.remember === undefined ? defaultStorage() : options.remember;
  const engineFor = options.engine ?? inThreadEngine;

  const open = (accountId: string): AccountStores => {
    const current = account.getState().current;
    if (current?.accountId === accountId) return current;
    current?.close();
    const db = options.openDb(accountId);
    const fresh = createAccountStores(api, accountId, db, engineFor(db));
    account.setState({ current: fresh });
    return fresh;
  };
  const need = (): AccountStores => {
    const current = account.getState().current;
    if (!current) throw new Error('no account is open');
    return current;
  };
  const close = (): void => {
    account.getState().current?.close();
    account.setState({ current: null });
  };

  return {
    api,
    session,
    account,
    get db() {
      return need().db;
    },
    get ledger() {
      return need().ledger;
    },
    get catalog() {
      return need().catalog;
    },
    get jobs() {
      return need().jobs;
    },
    get studio() {
      return need().studio;
    },
    async preload() {
      const last = remember?.getItem(REMEMBER_KEY);
      if (last) await open(last).ledger.getState().preload();
    },
    async startAccount(accountId) {
      const stores = open(accountId);
      remember?.setItem(REMEMBER_KEY, accountId);
      if (options.legacyDb) void Dexie.delete(options.legacyDb).catch(() => undefined);
      await stores.start();
    },
    async signOut() {
      const current = account.getState().current;
      close();
      remember?.removeItem(REMEMBER_KEY);
      await session.getState().signOut();
      if (current) await current.db.delete().catch(() => undefined);
    },
    stop: close,
  };
}
