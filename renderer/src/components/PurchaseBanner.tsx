import type { PurchaseStatus } from '../../../shared/ipc/types';

const STATUS_TEXT: Record<PurchaseStatus['status'], string> = {
  pending: 'Waiting for payment on the checkout page…',
  paid: 'Payment received — adding your credits…',
  credited: 'Credits added to your wallet.',
  cancelled: 'Checkout was cancelled. Nothing was charged.',
  failed: 'The payment failed. Nothing was charged.',
  'timed-out': 'The checkout timed out. Nothing was charged.',
};

/** How the current checkout stands: a real link to its page, and a way to stop waiting. */
export function PurchaseBanner(props: { purchase: PurchaseStatus; onAbandon: () => void }) {
  const { purchase } = props;
  const waiting = purchase.status === 'pending';
  const busy = waiting || purchase.status === 'paid';
  return (
    <div className={`banner purchase-${purchase.status}`} data-testid="purchase-status">
      <p role="status">
        {busy && <span className="spinner" aria-hidden="true" />}
        {STATUS_TEXT[purchase.status]}
        {purchase.message ? ` ${purchase.message}` : ''}
      </p>
      {waiting && (
        <div className="row wrap">
          {purchase.checkoutUrl && (
            <a
              className="button primary"
              href={purchase.checkoutUrl}
              target="_blank"
              rel="noopener noreferrer"
            >
              Open the checkout page
            </a>
          )}
          <button type="button" className="secondary" onClick={props.onAbandon}>
            Stop waiting for this payment
          </button>
        </div>
      )}
    </div>
  );
}
