/** Purchases (docs/architecture.md §7): what the server, start-up and the admin CLI wire in. */
export { createPurchases } from './purchases';
export { registerPurchaseRoutes } from './routes';
export { reconcile, formatReconcileReport } from './reconcile';
export { purchasesConfigFromEnv } from './config';
export { defaultCatalogData, ledgerGrants, parseCatalog } from './catalog';
