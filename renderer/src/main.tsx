import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { StoresContext } from './app/context';
import { resolveApi } from './boot/api';
import { openDb } from './db/db';
import { workerEngine } from './ledger/worker-engine';
import { accountDbName } from './stores/account-stores';
import { createAppStores } from './stores/app-stores';
import './styles/app.css';
import './styles/theme.css';
import './styles/studio.css';

const root = createRoot(document.getElementById('root') ?? document.body);
const resolved = resolveApi();
if ('error' in resolved) {
  root.render(<p className="loading-screen">Easel cannot start: {resolved.error}</p>);
} else {
  const { api } = resolved;
  const stores = createAppStores(api, {
    // One database per account (docs/architecture.md §9); 'easel' was the shared one before.
    openDb: (accountId) => openDb(accountDbName(accountId)),
    engine: (db) => workerEngine(db.name),
    legacyDb: 'easel',
  });
  // In parallel: ask main for the session, and open the last account's IndexedDB for its balance.
  void stores.preload();
  void stores.session.getState().load();
  root.render(
    <StrictMode>
      <StoresContext.Provider value={stores}>
        <App />
      </StoresContext.Provider>
    </StrictMode>,
  );
}
