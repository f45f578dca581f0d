import { useEffect, useState } from 'react';
import type { PurchaseRecord } from '../../../shared/api/purchase-list';
import { useLedger, useStores } from '../app/context';
import { credits, date, money } from '../util/format';
import { errorSentence } from '../util/errors';

const viaText: Record<PurchaseRecord['via'], string> = {
  checkout: '',
  renewal: 'renewal',
  'auto-topup': 'auto top-up',
};

/** "Refunded $4.95 on Dec 2, 2026", "Disputed on …": what was taken back, per reversal. */
function reversalText(p: PurchaseRecord): string[] {
  return p.reversals.map((r) => {
    const what = r.reason === 'refunded' ? 'Refunded' : 'Disputed';
    const amount =
      r.amountCents === null || r.amountCents >= p.priceCents
        ? ''
        : ` ${money(r.amountCents, p.currency)}`;
    return `${what}${amount} on ${date(r.at)}: credits taken back`;
  });
}

/**
 * Store → Purchases (docs/architecture.md §7, receipts): every credited purchase with its date,
 * item, price, credits, receipt and any refund or dispute. Read from the server, again whenever
 * the ledger moves (a purchase or a reversal is an entry).
 */
export function PurchaseList() {
  const { api } = useStores();
  const headSeq = useLedger((s) => s.headSeq);
  const [purchases, setPurchases] = useState<PurchaseRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api
      .listPurchases({})
      .then((r) => {
        if (!live) return;
        setPurchases(r.purchases);
        setError(null);
      })
      .catch((e: unknown) => live && setError(errorSentence(e)));
    return () => {
      live = false;
    };
  }, [api, headSeq]);

  const openReceipt = async (url: string): Promise<void> => {
    // Browser mode has no system browser: a tab, opened within the click.
    if (api.transport === 'browser') window.open(url, '_blank', 'noopener');
    else await api.openLink({ url });
  };

  return (
    <section className="panel" aria-labelledby="purchases-title">
      <h2 id="purchases-title">Purchases</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {purchases === null && !error && <p className="muted">Loading purchases…</p>}
      {purchases?.length === 0 && <p className="muted">No purchases yet.</p>}
      {purchases && purchases.length > 0 && (
        <table className="table purchases" data-testid="purchase-list">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Item</th>
              <th scope="col">Price</th>
              <th scope="col">Credits</th>
              <th scope="col">Receipt</th>
            </tr>
          </thead>
          <tbody>
            {purchases.map((p) => (
              <tr key={p.purchaseId} data-testid="purchase-row">
                <td>{date(p.creditedAt)}</td>
                <td>
                  {p.title}
                  {viaText[p.via] && <span className="muted"> · {viaText[p.via]}</span>}
                  {p.provider === 'sandbox' && <span className="muted"> · sandbox</span>}
                  {reversalText(p).map((t) => (
                    <p className="error small" key={t}>
                      {t}
                    </p>
                  ))}
                </td>
                <td>{money(p.priceCents, p.currency)}</td>
                <td>{credits(p.credits)}</td>
                <td>
                  {p.receiptUrl ? (
                    <button
                      type="button"
                      className="secondary small-button"
                      aria-label={`Receipt for ${p.title} on ${date(p.creditedAt)}`}
                      onClick={() => void openReceipt(p.receiptUrl ?? '')}
                    >
                      Receipt
                    </button>
                  ) : (
                    <span className="muted">Not yet</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
