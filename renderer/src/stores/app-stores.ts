import type { EaselApi } from '../../../shared/ipc/contract';
import type { EaselDb } from '../db/db';
import { clearAccount } from '../db/store-batch';
import { inThreadEngine, type LedgerEngine } from '../ledger/engine';
import { createCatalogStore, type CatalogStore } from './catalog-store';
import { createJobsStore, type JobsStore } from './jobs-store';
import { createLedgerStore, type LedgerStore } from './ledger-store';
import { createSessionStore, type SessionStore } from './session-store';
import { createStudioStore, type StudioStore } from './studio-store';

export interface AppStores {
  api: EaselApi;
  db: EaselDb;
  session: SessionStore;
  ledger: LedgerStore;
  catalog: CatalogStore;
  jobs: JobsStore;
  studio: StudioStore;
  /** Starts the account's stores once signed in. */
  startAccount(accountId: string): Promise<void>;
  signOut(): Promise<void>;
  stop(): void;
}

/** All stores, with the api and database injected (tests pass a fake api and fake-indexeddb). */
export function createAppStores(api: EaselApi, db: EaselDb, engine?: LedgerEngine): AppStores {
  const session = createSessionStore(api);
  const ledger = createLedgerStore(api, db, engine ?? inThreadEngine(db));
  const resync = (): void => void ledger.getState().sync();
  const catalog = createCatalogStore(api, db, resync);
  // After a run the balance follows a moment later: its images are fetched and painted first
  // (benchmark studio-result-paint); a sync started meanwhile also answers ledgerChanged.
  const jobs = createJobsStore(api, db, () => void setTimeout(resync, 400));
  const studio = createStudioStore(api, jobs, catalog);
  const stopAll = (): void => {
    ledger.getState().stop();
    catalog.getState().stop();
    jobs.getState().stop();
    studio.getState().stop();
  };
  return {
    api,
    db,
    session,
    ledger,
    catalog,
    jobs,
    studio,
    async startAccount(accountId) {
      await Promise.all([
        ledger.getState().start(accountId),
        catalog.getState().start(),
        jobs.getState().start(),
        studio.getState().start(),
      ]);
    },
    async signOut() {
      stopAll();
      await session.getState().signOut();
      await clearAccount(db);
    },
    stop: stopAll,
  };
}
