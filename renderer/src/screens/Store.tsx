import { useCatalog, useStores } from '../app/context';
import { PlanCard } from '../components/PlanCard';
import { PlanPanel } from '../components/PlanPanel';
import { PromoCodeForm } from '../components/PromoCodeForm';
import { PurchaseList } from '../components/PurchaseList';
import { PurchaseBanner } from '../components/PurchaseBanner';
import { credits, money } from '../util/format';

/**
 * Packs and plans (docs/architecture.md §7). Checkout opens in the system browser; in browser
 * mode main has none, so the page opens in a tab on the Buy click and stays as a link.
 */
export function Store() {
  const { catalog } = useStores();
  const store = useCatalog((s) => s.store);
  const purchase = useCatalog((s) => s.purchase);
  const message = useCatalog((s) => s.message);
  const error = useCatalog((s) => s.error);
  const busy = purchase?.status === 'pending' || purchase?.status === 'paid';
  const buy = async (itemId: string): Promise<void> => {
    const started = await catalog.getState().buy(itemId);
    // Still inside the click's user activation, so the browser lets the tab open.
    if (started?.checkoutUrl && !started.opened)
      window.open(started.checkoutUrl, '_blank', 'noopener');
  };
  const current = store?.currentPlan ?? null;
  return (
    <div className="screen">
      <h1>Store</h1>
      {store?.provider === 'sandbox' && (
        <p className="banner banner-info">Sandbox checkout: no real money is charged.</p>
      )}
      {purchase && (
        <PurchaseBanner purchase={purchase} onAbandon={() => catalog.getState().abandon()} />
      )}
      {message && (
        <p className="banner banner-info" role="status">
          {message}
        </p>
      )}
      {error && (
        <p className="banner banner-alert" role="alert">
          {error}
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
                  {/* A title that only repeats the amount and bonus below is left out. */}
                  {p.title !== `${credits(p.credits)} credits` &&
                    p.title !==
                      `${credits(p.credits)} credits + ${credits(p.bonusCredits)} bonus` && (
                      <p className="card-title">{p.title}</p>
                    )}
                  <p className="big">{credits(p.credits)} credits</p>
                  {p.bonusCredits > 0 && <p className="muted">+{credits(p.bonusCredits)} bonus</p>}
                  <p className="muted">Valid {p.expiresInDays} days</p>
                  <button
                    type="button"
                    className="primary"
                    disabled={busy}
                    onClick={() => void buy(p.itemId)}
                  >
                    Buy for {money(p.priceCents, p.currency)}
                  </button>
                </div>
              </li>
            ))}
          </ul>
          <PlanPanel actions />
          <h2>Plans</h2>
          <ul className="cards">
            {store.plans.map((p) => (
              <PlanCard
                key={p.itemId}
                plan={p}
                current={current?.itemId === p.itemId ? current : null}
                busy={busy}
                subscribed={current !== null && current.renewsAt !== null}
                onBuy={() => void buy(p.itemId)}
              />
            ))}
          </ul>
        </>
      )}
      <PromoCodeForm />
      <PurchaseList />
    </div>
  );
}
