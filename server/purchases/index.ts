/** Purchases (issue 4): what the server, start-up and the admin CLI wire in. */
export { createPurchases, Purchases } from './purchases';
export { registerPurchaseRoutes, type AccountOf, type Router } from './routes';
export {
  reconcile,
  formatReconcileReport,
  type ReconcileReport,
  type ReconcileIssue,
} from './reconcile';
export { purchasesConfigFromEnv, type PurchasesConfig, type StripeSettings } from './config';
export { dailyCreditsByPlan, defaultCatalogData, parseCatalog } from './catalog';
