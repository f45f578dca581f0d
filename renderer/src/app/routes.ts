export const routes = [
  { id: 'studio', label: 'Studio' },
  { id: 'gallery', label: 'Gallery' },
  { id: 'wallet', label: 'Wallet' },
  { id: 'history', label: 'History' },
  { id: 'store', label: 'Store' },
  { id: 'designs', label: 'Designs' },
  { id: 'settings', label: 'Settings' },
] as const;

export type RouteId = (typeof routes)[number]['id'];
