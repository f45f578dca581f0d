/** Hosts the app may open in the system browser (checkout pages, docs). */
const externalHostAllowList: readonly string[] = [
  'checkout.stripe.com',
  'billing.stripe.com',
  'easel.app',
  'docs.easel.app',
  // Stripe's receipts and hosted invoices (docs/architecture.md §7, receipts).
  'invoice.stripe.com',
  'pay.stripe.com',
];

/**
 * Only https URLs on allow-listed hosts (plus the configured server's own pages, e.g. the
 * sandbox checkout, which may be plain http on loopback) may be opened externally.
 */
export function isAllowedExternalUrl(raw: string, serverUrl: string | null): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (serverUrl) {
    try {
      if (url.origin === new URL(serverUrl).origin) return true;
    } catch {
      // a malformed server URL allows nothing extra
    }
  }
  return url.protocol === 'https:' && externalHostAllowList.includes(url.hostname);
}
