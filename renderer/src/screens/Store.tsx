import { useCatalog, useStores } from '../app/context';
import { credits, money } from '../util/format';

const STATUS_TEXT: Record<string, string> = {
  pending: 'Waiting for payment in the checkout window…',
  paid: 'Payment received — adding your credits…',
  credited: 'Credits added to your wallet.',
  cancelled: 'Checkout was cancelled. Nothing was charged.',
  failed: 'The payment failed. Nothing was charged.',
  'timed-out': 'The checkout timed out. Nothing was charged.',
};

export function Store() {
  const { catalog } = useStores();
  const store = useCatalog((s) => s.store);
  const purchase = useCatalog((s) => s.purchase);
  const message = useCatalog((s) => s.message);
  const busy = purchase?.status === 'pending' || purchase?.status === 'paid';
  const buy = (itemId: string): void => void catalog.getState().buy(itemId);
  return (
    <div className="screen">
      <h1>Store</h1>
      {store?.provider === 'sandbox' && (
        <p className="banner banner-info">Sandbox checkout: no real money is charged.</p>
      )}
      {purchase && (
        <p
          className={`banner purchase-${purchase.status}`}
          role="status"
          data-testid="purchase-status"
        >
          {busy && <span className="spinner" aria-hidden="true" />}
          {STATUS_TEXT[purchase.status] ?? purchase.status}
          {purchase.message ? ` ${purchase.message}` : ''}
        </p>
      )}
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      {!store ? (
        <p className="muted">The store needs a connection the first time.</p>
      ) : (
        <>
          <h2>Credit packs</h2>
          <ul className="cards">
            {store.packs.map((p) => (
              <li className="card pack" key={p.itemId}>
                <div className="card-body">
                  {p.title !== `${credits(p.credits)} credits` && (
                    <p className="card-title">{p.title}</p>
                  )}
                  <p className="big">{credits(p.credits)} credits</p>
                  {p.bonusCredits > 0 && <p className="muted">+{credits(p.bonusCredits)} bonus</p>}
                  <p className="muted">Valid {p.expiresInDays} days</p>
                  <button
                    type="button"
                    className="primary"
                    disabled={busy}
                    onClick={() => buy(p.itemId)}
                  >
                    Buy for {money(p.priceCents, p.currency)}
                  </button>
                </div>
              </li>
            ))}
          </ul>
          <h2>Plans</h2>
          <ul className="cards">
            {store.plans.map((p) => (
              <li className="card" key={p.itemId}>
                <div className="card-body">
                  <p className="card-title">{p.title}</p>
                  {p.priceCents === 0 ? (
                    <>
                      <p className="big">{credits(p.dailyCredits)} credits / day</p>
                      <p className="muted">
                        Free, on every day you use Easel; they expire at midnight UTC.
                      </p>
                      <p className="muted">Included with every account.</p>
                    </>
                  ) : (
                    <>
                      <p className="big">{credits(p.monthlyCredits)} credits / month</p>
                      {p.dailyCredits > 0 && (
                        <p className="muted">+{credits(p.dailyCredits)} daily credits</p>
                      )}
                      <p className="muted">
                        Each month&apos;s credits last {p.expiresInDays} days.
                      </p>
                      <button
                        type="button"
                        className="primary"
                        disabled={busy}
                        onClick={() => buy(p.itemId)}
                      >
                        Subscribe for {money(p.priceCents, p.currency)} / month
                      </button>
                    </>
                  )}
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
