import type { EaselApi } from '../../../shared/ipc/contract';
import type { EaselDb } from '../db/db';
import type { LedgerEngine } from '../ledger/engine';
import { createCatalogStore, type CatalogStore } from './catalog-store';
import { createJobsStore, type JobsStore } from './jobs-store';
import { createLedgerStore, type LedgerStore } from './ledger-store';
import { createStudioStore, type StudioStore } from './studio-store';

/**
 * Everything the renderer holds for ONE account: its own IndexedDB database, ledger engine
 * (worker) and stores (docs/architecture.md §9). Another account gets a new bundle, so nothing
 * of this one — a late write, a listener, a cached run — can reach it.
 */
export interface AccountStores {
  accountId: string;
  db: EaselDb;
  ledger: LedgerStore;
  catalog: CatalogStore;
  jobs: JobsStore;
  studio: StudioStore;
  /** Starts syncing; resolves once the stored chain is re-verified and the first sync is done. */
  start(): Promise<void>;
  /** Stops every listener and timer, ends the engine and closes the database. */
  close(): void;
}

/** The IndexedDB database of one account. */
export const accountDbName = (accountId: string): string => `easel-account-${accountId}`;

export function createAccountStores(
  api: EaselApi,
  accountId: string,
  db: EaselDb,
  engine: LedgerEngine,
): AccountStores {
  const ledger = createLedgerStore(api, db, engine);
  const resync = (): void => void ledger.getState().sync();
  const catalog = createCatalogStore(api, db, resync);
  // After a run the balance follows a moment later: its images are fetched and painted first
  // (benchmark studio-result-paint); a sync started meanwhile also answers ledgerChanged.
  const jobs = createJobsStore(api, db, () => void setTimeout(resync, 400));
  const studio = createStudioStore(api, jobs, catalog);
  let started: Promise<void> | null = null;
  let closed = false;
  return {
    accountId,
    db,
    ledger,
    catalog,
    jobs,
    studio,
    start() {
      started ??= Promise.all([
        ledger.getState().start(accountId),
        catalog.getState().start(),
        jobs.getState().start(),
        studio.getState().start(),
      ]).then(() => undefined);
      return started;
    },
    close() {
      if (closed) return;
      closed = true;
      ledger.getState().stop();
      catalog.getState().stop();
      jobs.getState().stop();
      studio.getState().stop();
      db.close();
    },
  };
}
