import { randomBytes } from 'node:crypto';
import { CatalogItem, type PaymentProviderName } from '../../shared/api/purchases';
import type { PurchaseListResponse, PurchaseRecord } from '../../shared/api/purchase-list';
import type { Sql } from '../db/database';
import { escapeHtml, formatMoney, page } from './pages';

/**
 * Receipts and the purchase list (docs/architecture.md §7, receipts). Stripe's receipt is its
 * own page (the invoice Checkout made for a one-off payment, a plan month's invoice, or an
 * off-session charge's receipt), stored as a link; the sandbox serves a receipt page of its own
 * at an unguessable key.
 */
export const receiptStore = {
  async record(
    sql: Sql,
    r: {
      purchaseId: string;
      accountId: string;
      provider: PaymentProviderName;
      url: string;
      pageKey: string | null;
      now: string;
    },
  ): Promise<void> {
    await sql.query(
      'insert into purchase_receipts (purchase_id, account_id, provider, url, page_key, created_at) values ($1, $2, $3, $4, $5, $6) on conflict (purchase_id) do nothing',
      [r.purchaseId, r.accountId, r.provider, r.url, r.pageKey, r.now],
    );
  },

  async has(sql: Sql, purchaseId: string): Promise<boolean> {
    const { rows } = await sql.query<{ n: number }>(
      'select count(*)::int as n from purchase_receipts where purchase_id = $1',
      [purchaseId],
    );
    return (rows[0]?.n ?? 0) > 0;
  },

  /** The sandbox's receipt page for a purchase (made once; the key is the page's only guard). */
  async sandbox(
    sql: Sql,
    publicUrl: string,
    r: { purchaseId: string; accountId: string; now: string },
  ): Promise<void> {
    const key = `rcpt_${randomBytes(16).toString('hex')}`;
    await receiptStore.record(sql, {
      ...r,
      provider: 'sandbox',
      url: `${publicUrl}/receipts/${key}`,
      pageKey: key,
    });
  },
};

interface ListedRow {
  purchase_id: string;
  provider: PaymentProviderName;
  checkout_id: string;
  item_id: string;
  amount_cents: number;
  currency: string;
  seq: number;
  credited_at: string;
  item: string;
  item_type: 'pack' | 'plan';
  receipt_url: string | null;
  topup: string | null;
}

interface ReversalListed {
  purchase_id: string;
  reason: 'refunded' | 'disputed';
  amount_cents: number | null;
  applied_at: string;
}

const LISTED = `
  select f.purchase_id, f.provider, f.checkout_id, f.item_id, f.amount_cents, f.currency, f.seq,
         f.credited_at, c.item, c.item_type, r.url as receipt_url,
         (select t.id from auto_topups t where t.checkout_id = f.checkout_id limit 1) as topup
  from purchase_fulfilments f
  join purchase_checkouts c on c.id = f.checkout_id
  left join purchase_receipts r on r.purchase_id = f.purchase_id`;

/** Every credited purchase of an account, newest first, with receipts and reversals. */
export async function listPurchases(sql: Sql, accountId: string): Promise<PurchaseListResponse> {
  const { rows } = await sql.query<ListedRow>(
    `${LISTED} where f.account_id = $1 order by f.credited_at desc, f.seq desc`,
    [accountId],
  );
  const { rows: reversals } = await sql.query<ReversalListed>(
    `select v.purchase_id, v.reason, v.amount_cents, v.applied_at from purchase_reversals v
     join purchase_fulfilments f on f.purchase_id = v.purchase_id
     where f.account_id = $1 and v.applied_at is not null order by v.applied_at`,
    [accountId],
  );
  // A plan's checkout is credited once per month: the first is the checkout, later ones renewals.
  const firstOfCheckout = new Map<string, string>();
  for (const r of [...rows].reverse())
    if (!firstOfCheckout.has(r.checkout_id)) firstOfCheckout.set(r.checkout_id, r.purchase_id);
  const purchases = rows.map((r): PurchaseRecord => {
    const item = CatalogItem.parse(JSON.parse(r.item));
    return {
      purchaseId: r.purchase_id,
      provider: r.provider,
      itemId: r.item_id,
      title: item.title,
      itemType: r.item_type,
      via: r.topup
        ? 'auto-topup'
        : firstOfCheckout.get(r.checkout_id) === r.purchase_id
          ? 'checkout'
          : 'renewal',
      priceCents: r.amount_cents,
      currency: r.currency,
      credits: item.type === 'pack' ? item.credits + item.bonusCredits : item.monthlyCredits,
      creditedAt: r.credited_at,
      seq: r.seq,
      receiptUrl: r.receipt_url,
      reversals: reversals
        .filter((v) => v.purchase_id === r.purchase_id)
        .map((v) => ({ reason: v.reason, amountCents: v.amount_cents, at: v.applied_at })),
    };
  });
  return { purchases };
}

/** The purchase a sandbox receipt key names, with its reversals (null: no such receipt). */
export async function sandboxReceipt(
  sql: Sql,
  key: string,
): Promise<{ row: ListedRow; reversals: ReversalListed[] } | null> {
  const { rows } = await sql.query<ListedRow>(
    `${LISTED} where r.page_key = $1 and r.provider = 'sandbox'`,
    [key],
  );
  const row = rows[0];
  if (!row) return null;
  const { rows: reversals } = await sql.query<ReversalListed>(
    'select purchase_id, reason, amount_cents, applied_at from purchase_reversals where purchase_id = $1 and applied_at is not null order by applied_at',
    [row.purchase_id],
  );
  return { row, reversals };
}

/** The sandbox's receipt: what was bought, when, for how much, and what was taken back. */
export function receiptPage(found: { row: ListedRow; reversals: ReversalListed[] }): string {
  const { row, reversals } = found;
  const item = CatalogItem.parse(JSON.parse(row.item));
  const credits = item.type === 'pack' ? item.credits + item.bonusCredits : item.monthlyCredits;
  const lines = [
    ['Receipt', escapeHtml(row.purchase_id)],
    ['Date', escapeHtml(`${row.credited_at.slice(0, 10)} ${row.credited_at.slice(11, 16)} UTC`)],
    ['Item', escapeHtml(item.title)],
    ['Credits', escapeHtml(credits.toLocaleString('en-US'))],
    ['Paid', escapeHtml(`${formatMoney(row.amount_cents, row.currency)} (sandbox)`)],
    ['Bought', row.topup ? 'by auto top-up' : 'at checkout'],
    ...reversals.map((v) => [
      v.reason === 'refunded' ? 'Refunded' : 'Disputed',
      escapeHtml(
        `${v.amount_cents === null ? 'in full' : formatMoney(v.amount_cents, row.currency)} on ${v.applied_at.slice(0, 10)}`,
      ),
    ]),
  ];
  return page(
    'Receipt',
    `<p class="banner" role="note">Sandbox — no real payment was made.</p>
<h1>Receipt</h1>
<div class="item"><dl>${lines.map(([k, v]) => `<dt>${k ?? ''}</dt><dd>${v ?? ''}</dd>`).join('')}</dl></div>`,
  );
}
