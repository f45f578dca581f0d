import type { PaymentProviderName } from '../../shared/api/purchases';
import { EntryBody } from '../../shared/ledger/entry';
import { DAY } from '../clock';
import { formatMoney } from './pages';
import type { ProviderPayment } from './provider-payment';
import type { Purchases } from './purchases';
import { purchaseStore as store } from './store';
import { listTopupPayments } from './stripe-money';

type ReconcileIssueKind =
  | 'paid-not-credited'
  | 'credited-twice'
  | 'credited-without-payment'
  | 'reversed-without-refund'
  | 'refunded-not-reversed'
  | 'amount-mismatch'
  | 'partial-refund'
  | 'provider-not-checked';

interface LedgerPurchase {
  accountId: string;
  seq: number;
  at: string;
  purchaseId: string;
  provider: PaymentProviderName;
  paymentRef: string;
  itemId: string;
  priceCents: number;
  currency: string;
  credits: number;
}

interface LedgerReversal {
  accountId: string;
  seq: number;
  at: string;
  purchaseId: string;
  reason: 'refunded' | 'disputed' | 'revoked';
  kind: string;
  amount: number;
  shortfall: number;
}

/** One payment beside what the ledger did with it. */
interface ReconcileLine {
  purchaseId: string;
  payment: ProviderPayment | null;
  credited: LedgerPurchase[];
  reversals: LedgerReversal[];
}

interface ReconcileIssue {
  kind: ReconcileIssueKind;
  purchaseId: string;
  accountId: string | null;
  message: string;
}

export interface ReconcileReport {
  since: string;
  providers: PaymentProviderName[];
  lines: ReconcileLine[];
  issues: ReconcileIssue[];
}

/** Payments made just before `since` are still listed, so a purchase credited after it finds its payment. */
const MARGIN_MS = 2 * DAY;

/**
 * Lays the provider's payments (Stripe's sessions, invoices and charges; the sandbox's records)
 * beside the ledger's purchase and reversal entries since a date, and flags every mismatch:
 * paid but not credited, credited twice, credited without a payment, reversed without a refund,
 * refunded but not reversed, amounts that differ, partial refunds to review.
 */
export async function reconcile(purchases: Purchases, since: string): Promise<ReconcileReport> {
  const sinceMs = parseSince(since);
  const sinceIso = new Date(sinceMs).toISOString();
  const fromMs = sinceMs - MARGIN_MS;
  const providers: PaymentProviderName[] = purchases.stripe ? ['sandbox', 'stripe'] : ['sandbox'];
  const payments = [
    ...(await purchases.sandbox.listPayments(fromMs)),
    ...(purchases.stripe ? await purchases.stripe.listPayments(fromMs) : []),
    // Auto top-ups are payment intents without a Checkout session (§7).
    ...(purchases.stripe ? await listTopupPayments(purchases.stripe, fromMs) : []),
  ];
  const { credits, reversals } = await ledgerSide(purchases, new Date(fromMs).toISOString());

  const paymentOf = new Map(payments.map((p) => [p.purchaseId, p]));
  const creditsOf = groupBy(credits, (c) => c.purchaseId);
  const reversalsOf = groupBy(reversals, (r) => r.purchaseId);
  const issues = new Map<string, ReconcileIssue>();
  const flag = (
    kind: ReconcileIssueKind,
    purchaseId: string,
    accountId: string | null,
    message: string,
  ) => {
    const key = `${kind}/${purchaseId}`;
    if (!issues.has(key)) issues.set(key, { kind, purchaseId, accountId, message });
  };

  for (const p of payments) {
    if (p.paidAt < sinceIso) continue;
    const credited = creditsOf.get(p.purchaseId) ?? [];
    const takenBack = p.refunded === 'full' || p.disputed;
    const money = formatMoney(p.amountCents, p.currency);
    if (credited.length === 0 && !takenBack) {
      const why = await refusalOf(purchases, p.checkoutId);
      flag(
        'paid-not-credited',
        p.purchaseId,
        p.accountId,
        `${money} paid on ${p.paidAt} (item ${p.itemId ?? '?'}) but nothing was credited${why ? ` — ${why}` : ''}`,
      );
    }
    for (const c of credited) {
      if (c.priceCents !== p.amountCents || c.currency !== p.currency)
        flag(
          'amount-mismatch',
          p.purchaseId,
          c.accountId,
          `credited at ${formatMoney(c.priceCents, c.currency)}, the provider took ${money}`,
        );
    }
    if (credited.length > 0 && takenBack && !(reversalsOf.get(p.purchaseId) ?? []).length)
      flag(
        'refunded-not-reversed',
        p.purchaseId,
        credited[0]?.accountId ?? null,
        `${p.disputed ? 'disputed' : 'refunded'} at the provider, but the credits were never taken back`,
      );
    if (p.refunded === 'partial')
      flag(
        'partial-refund',
        p.purchaseId,
        p.accountId,
        `partly refunded at the provider; its share of the credits was taken back: review by hand`,
      );
  }

  const inWindow = credits.filter((c) => c.at >= sinceIso);
  for (const c of inWindow) {
    if (!providers.includes(c.provider)) {
      flag(
        'provider-not-checked',
        `${c.provider}:*`,
        null,
        `the ledger has ${c.provider} purchases, but ${c.provider} is not configured here`,
      );
      continue;
    }
    if (!paymentOf.has(c.purchaseId))
      flag(
        'credited-without-payment',
        c.purchaseId,
        c.accountId,
        `entry ${c.seq} credited ${c.credits} credits, but ${c.provider} has no such payment`,
      );
  }
  for (const [purchaseId, group] of creditsOf) {
    if (group.length > 1 && group.some((c) => c.at >= sinceIso))
      flag(
        'credited-twice',
        purchaseId,
        group[0]?.accountId ?? null,
        `credited ${group.length} times: ${group.map((c) => `${c.accountId} #${c.seq}`).join(', ')}`,
      );
  }
  for (const group of groupBy(credits, (c) => `${c.provider}/${c.paymentRef}`).values()) {
    const ids = [...new Set(group.map((c) => c.purchaseId))];
    if (ids.length > 1 && group.some((c) => c.at >= sinceIso))
      for (const c of group)
        flag(
          'credited-twice',
          c.purchaseId,
          c.accountId,
          `payment ${c.paymentRef} credited as ${ids.length} purchases: ${ids.join(', ')}`,
        );
  }
  for (const r of reversals) {
    if (r.at < sinceIso || r.reason === 'revoked') continue;
    const p = paymentOf.get(r.purchaseId);
    if (p && p.refunded !== 'full' && !p.disputed)
      flag(
        'reversed-without-refund',
        r.purchaseId,
        r.accountId,
        `entry ${r.seq} took back ${r.amount} ${r.kind} credits as ${r.reason}, but the payment was neither fully refunded nor disputed`,
      );
  }

  const ids = new Set<string>([
    ...payments.filter((p) => p.paidAt >= sinceIso).map((p) => p.purchaseId),
    ...inWindow.map((c) => c.purchaseId),
  ]);
  const lines: ReconcileLine[] = [...ids]
    .map((purchaseId) => ({
      purchaseId,
      payment: paymentOf.get(purchaseId) ?? null,
      credited: creditsOf.get(purchaseId) ?? [],
      reversals: reversalsOf.get(purchaseId) ?? [],
    }))
    .sort((a, b) => timeOf(a).localeCompare(timeOf(b)) || a.purchaseId.localeCompare(b.purchaseId));
  return { since: sinceIso, providers, lines, issues: [...issues.values()] };
}

const timeOf = (l: ReconcileLine): string => l.payment?.paidAt ?? l.credited[0]?.at ?? '';

function parseSince(since: string): number {
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(
    since,
  );
  const ms = ok ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(ms))
    throw new Error(
      `--since: expected a date such as 2026-11-01 or an ISO timestamp, got "${since}"`,
    );
  return ms;
}

async function ledgerSide(
  purchases: Purchases,
  fromIso: string,
): Promise<{ credits: LedgerPurchase[]; reversals: LedgerReversal[] }> {
  const { rows } = await purchases.services.db.query<{
    account_id: string;
    seq: number;
    body: string;
  }>(
    `select account_id, seq, body from entries where type in ('purchase', 'reversal') and at >= $1 order by at, account_id, seq`,
    [fromIso],
  );
  const credits: LedgerPurchase[] = [];
  const reversals: LedgerReversal[] = [];
  for (const row of rows) {
    const b = EntryBody.parse(JSON.parse(row.body));
    if (b.type === 'purchase')
      credits.push({
        accountId: row.account_id,
        seq: row.seq,
        at: b.at,
        purchaseId: b.purchaseId,
        provider: b.provider,
        paymentRef: b.paymentRef,
        itemId: b.itemId,
        priceCents: b.priceCents,
        currency: b.currency,
        credits: b.buckets.reduce((t, x) => t + x.amount, 0),
      });
    else if (b.type === 'reversal')
      reversals.push({
        accountId: row.account_id,
        seq: row.seq,
        at: b.at,
        purchaseId: b.purchaseId,
        reason: b.reason,
        kind: b.kind,
        amount: b.amount,
        shortfall: b.shortfall,
      });
  }
  return { credits, reversals };
}

/** Why a paid checkout was not credited, when the server refused it. */
async function refusalOf(purchases: Purchases, checkoutId: string | null): Promise<string | null> {
  if (!checkoutId || !/^chk_[0-9a-f]{32}$/.test(checkoutId)) return null;
  const row = await store.checkout(purchases.services.db, checkoutId);
  if (!row) return `checkout ${checkoutId} is unknown here`;
  return row.status === 'refused'
    ? `refused: ${row.status_reason ?? ''}`
    : `checkout ${row.status}`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** The report as text for `npm run admin -- reconcile --since <date>`. */
export function formatReconcileReport(report: ReconcileReport): string {
  const out: string[] = [
    `Payments since ${report.since} (providers checked: ${report.providers.join(', ')})`,
    '',
  ];
  const rows = report.lines.map((l) => {
    const p = l.payment;
    const state = !p
      ? 'no payment'
      : p.disputed
        ? 'disputed'
        : p.refunded === 'full'
          ? 'refunded'
          : p.refunded === 'partial'
            ? 'part-refunded'
            : 'paid';
    const ledger = [
      ...l.credited.map((c) => `credited ${c.credits} (${c.accountId} #${c.seq})`),
      ...l.reversals.map((r) => `${r.reason} -${r.amount} ${r.kind} (#${r.seq})`),
    ].join('; ');
    return [
      l.purchaseId,
      (p?.paidAt ?? l.credited[0]?.at ?? '').slice(0, 16).replace('T', ' '),
      p ? formatMoney(p.amountCents, p.currency) : '',
      state,
      ledger || 'nothing credited',
    ];
  });
  const header = ['PURCHASE', 'PAID', 'AMOUNT', 'PROVIDER', 'LEDGER'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  if (rows.length === 0) out.push('No payments and no purchase entries in this period.');
  else out.push(fmt(header), ...rows.map(fmt));
  out.push('');
  if (report.issues.length === 0) {
    out.push(`No mismatches: ${report.lines.length} payments and the ledger agree.`);
  } else {
    out.push(`${report.issues.length} mismatch${report.issues.length === 1 ? '' : 'es'}:`);
    for (const i of report.issues)
      out.push(
        `  ${i.kind.toUpperCase()}  ${i.purchaseId}${i.accountId ? ` (${i.accountId})` : ''}: ${i.message}`,
      );
  }
  return out.join('\n');
}
