import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppStores } from '../stores/app-stores';
import type { CatalogState } from '../stores/catalog-store';
import type { JobsState } from '../stores/jobs-store';
import type { LedgerState } from '../stores/ledger-store';
import type { SessionState } from '../stores/session-store';
import type { StudioState } from '../stores/studio-store';

export const StoresContext = createContext<AppStores | null>(null);

export function useStores(): AppStores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('StoresContext is missing');
  return stores;
}

export const useLedger = <T>(pick: (s: LedgerState) => T): T => useStore(useStores().ledger, pick);
export const useSession = <T>(pick: (s: SessionState) => T): T =>
  useStore(useStores().session, pick);
export const useCatalog = <T>(pick: (s: CatalogState) => T): T =>
  useStore(useStores().catalog, pick);
export const useJobs = <T>(pick: (s: JobsState) => T): T => useStore(useStores().jobs, pick);
export const useStudio = <T>(pick: (s: StudioState) => T): T => useStore(useStores().studio, pick);
