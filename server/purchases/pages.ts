import { createHash } from 'node:crypto';
import { type CatalogItem, purchaseLink } from '../../shared/api/purchases';
import type { CheckoutRow } from './store';

/**
 * The few pages the system browser shows during a purchase: plain HTML, every value escaped, no
 * scripts, and a CSP that allows only this one stylesheet and forms posting back here.
 */
const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}' +
  '.banner{background:#fff4ce;border:2px solid #b58900;border-radius:8px;padding:.75rem 1rem;font-weight:600}' +
  '.item{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1.5rem 0}' +
  '.price{font-size:1.5rem;font-weight:700}' +
  'form{display:inline-block;margin-right:.75rem}' +
  'fieldset{border:1px solid #ccc;border-radius:8px;margin:0 0 1rem}fieldset label{display:block}' +
  'dt{font-weight:600}dd{margin:0 0 .5rem}' +
  'button{font:inherit;padding:.6rem 1.4rem;border-radius:6px;border:1px solid #555;cursor:pointer}' +
  'button.pay{background:#1d6f42;color:#fff;border-color:#1d6f42}' +
  'a.app{display:inline-block;margin-top:1rem;padding:.6rem 1.4rem;border-radius:6px;background:#1d1d1f;color:#fff;text-decoration:none}';

const styleHash = createHash('sha256').update(STYLE, 'utf8').digest('base64');

export const pageHeaders: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${styleHash}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Money in the currency's own minor units (2 digits for USD, 0 for JPY). */
export function formatMoney(minor: number, currency: string): string {
  try {
    const f = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: currency.toUpperCase(),
    });
    const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
    return f.format(minor / 10 ** digits);
  } catch {
    // An unknown currency code for Intl: shown plainly, nothing else depends on it.
    return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} — Easel</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function describe(item: CatalogItem): string {
  if (item.type === 'plan')
    return `${item.monthlyCredits.toLocaleString('en-US')} ${item.creditKind} credits each month, each month's credits valid ${item.expiresAfterDays} days. Billed monthly until cancelled.`;
  const bonus =
    item.bonusCredits > 0 ? ` plus ${item.bonusCredits.toLocaleString('en-US')} bonus credits` : '';
  return `${item.credits.toLocaleString('en-US')} ${item.creditKind} credits${bonus}, valid ${item.expiresAfterDays} days.`;
}

/** Keeping the (sandbox) card for auto top-up, as Stripe's Checkout does with setup_future_usage. */
const SAVE_CARD = `<fieldset><legend>Keep this card for auto top-up?</legend>
<label><input type="radio" name="card" value="none" checked> No</label>
<label><input type="radio" name="card" value="card"> Yes — a test card</label>
<label><input type="radio" name="card" value="auth-card"> Yes — a test card whose bank asks for authentication</label>
</fieldset>`;

export function sandboxCheckoutPage(row: CheckoutRow, item: CatalogItem, key: string): string {
  const id = escapeHtml(row.id);
  const k = escapeHtml(encodeURIComponent(key));
  const price = formatMoney(row.amount_cents, row.currency);
  const per = item.type === 'plan' ? ' / month' : '';
  return page(
    'Sandbox checkout',
    `<p class="banner" role="alert">Sandbox — no real payment. This server has no payment provider configured: paying here moves no money.</p>
<h1>Buy ${escapeHtml(item.title)}</h1>
<div class="item">
<p>${escapeHtml(describe(item))}</p>
<p class="price">${escapeHtml(price + per)} <small>(sandbox)</small></p>
</div>
<form method="post" action="/sandbox/checkout/${id}/pay?key=${k}">${item.type === 'pack' ? SAVE_CARD : ''}<button class="pay" type="submit">Pay ${escapeHtml(price)} (sandbox)</button></form>
<form method="post" action="/sandbox/checkout/${id}/cancel?key=${k}"><button type="submit">Cancel</button></form>`,
  );
}

export function successPage(row: CheckoutRow): string {
  const confirmed = row.status === 'complete';
  return page(
    'Purchase',
    `<h1>${confirmed ? 'Thank you — your purchase is confirmed' : 'Thank you — your payment is being confirmed'}</h1>
<p>Return to Easel: your credits appear there ${confirmed ? 'at its next sync' : 'as soon as the payment is confirmed'}. You can close this tab.</p>
<p><a class="app" href="${escapeHtml(purchaseLink(row.id))}">Return to Easel</a></p>`,
  );
}

export function cancelledPage(row: CheckoutRow): string {
  return page(
    'Checkout cancelled',
    `<h1>Checkout cancelled</h1>
<p>Nothing was charged. You can close this tab and return to Easel.</p>
<p><a class="app" href="${escapeHtml(purchaseLink(row.id))}">Return to Easel</a></p>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
