import type { Services } from '../services';
import { HttpError, conflict, notFound } from '../http/errors';
import type { Fulfilment } from './fulfilment';
import type { ProviderPayment } from './provider-payment';
import { type CheckoutRow, itemOf, purchaseStore as store } from './store';

interface SandboxPaymentRow {
  payment_id: string;
  checkout_id: string;
  account_id: string;
  item_id: string;
  purchase_id: string;
  amount_cents: number;
  currency: string;
  paid_at: string;
  refunded_at: string | null;
  disputed_at: string | null;
}

/** The sandbox's ids for one checkout: its payment, and for a plan its subscription and first invoice. */
function sandboxRefs(checkoutId: string) {
  const hex = checkoutId.slice('chk_'.length);
  return {
    paymentId: `sbx_pay_${hex}`,
    subscriptionRef: `sbx_sub_${hex}`,
    invoiceRef: `sbx_in_${hex}_1`,
    refundRef: `sbx_re_${hex}`,
  };
}

/**
 * The embedded payment provider: no real money. Its "payments" are rows of its own table
 * (what reconcile compares the ledger with), and Pay drives the same fulfilment as Stripe's
 * checkout.session.completed (and, for a plan, invoice.paid).
 */
export class SandboxProvider {
  constructor(
    private readonly services: Services,
    private readonly fulfilment: Fulfilment,
  ) {}

  async checkout(checkoutId: string): Promise<CheckoutRow> {
    const row = await store.checkout(this.services.db, checkoutId);
    if (!row || row.provider !== 'sandbox') throw notFound('checkout');
    return row;
  }

  /** Pays a checkout. Paying twice is harmless: the second is a replay. */
  async pay(checkoutId: string): Promise<CheckoutRow> {
    const row = await this.checkout(checkoutId);
    const now = this.services.clock.now();
    if (row.status !== 'open' && row.status !== 'complete')
      throw conflict('checkout-closed', `this checkout is ${row.status}: nothing was charged`);
    if (row.status === 'open' && now >= row.expires_at) {
      await store.setStatus(this.services.db, row.id, 'expired', ['open'], now);
      throw new HttpError(
        410,
        'checkout-expired',
        'this checkout has expired: nothing was charged',
      );
    }
    const item = itemOf(row);
    const refs = sandboxRefs(row.id);
    const purchaseId = item.type === 'pack' ? `sandbox:${row.id}` : `sandbox:${refs.invoiceRef}`;
    // The provider's record first (as Stripe records a charge before its webhook arrives).
    await this.services.db.query(
      'insert into sandbox_payments (payment_id, checkout_id, account_id, item_id, purchase_id, amount_cents, currency, paid_at) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (payment_id) do nothing',
      [
        refs.paymentId,
        row.id,
        row.account_id,
        row.item_id,
        purchaseId,
        row.amount_cents,
        row.currency,
        now,
      ],
    );
    const paid = {
      checkout: row,
      paymentRef: refs.paymentId,
      amountCents: row.amount_cents,
      currency: row.currency,
    };
    await this.fulfilment.completeCheckout({
      ...paid,
      sessionRef: row.id,
      subscriptionRef: item.type === 'plan' ? refs.subscriptionRef : null,
    });
    if (item.type === 'plan')
      await this.fulfilment.payInvoice({
        ...paid,
        invoiceRef: refs.invoiceRef,
        subscriptionRef: refs.subscriptionRef,
      });
    return this.checkout(checkoutId);
  }

  /** Cancel on the sandbox page: the checkout closes and nothing is written to the ledger. */
  async cancel(checkoutId: string): Promise<CheckoutRow> {
    const row = await this.checkout(checkoutId);
    if (row.status === 'complete')
      throw conflict('checkout-closed', 'this checkout is already paid');
    await store.setStatus(
      this.services.db,
      row.id,
      'canceled',
      ['open'],
      this.services.clock.now(),
      'canceled on the sandbox page',
    );
    return this.checkout(checkoutId);
  }

  /** A sandbox refund (operators, tests): the same reversal path as Stripe's charge.refunded. */
  async refund(checkoutId: string): Promise<string> {
    const row = await this.checkout(checkoutId);
    const refs = sandboxRefs(row.id);
    const now = this.services.clock.now();
    const { rows } = await this.services.db.query<{ payment_id: string }>(
      'update sandbox_payments set refunded_at = coalesce(refunded_at, $2) where payment_id = $1 returning payment_id',
      [refs.paymentId, now],
    );
    if (rows.length === 0) throw conflict('not-paid', 'this checkout was never paid');
    return this.fulfilment.reverse({
      provider: 'sandbox',
      ref: refs.refundRef,
      paymentRef: refs.paymentId,
      reason: 'refunded',
      amountCents: row.amount_cents,
      currency: row.currency,
    });
  }

  /** Ends a sandbox subscription: the same path as Stripe's customer.subscription.deleted. */
  async cancelSubscription(checkoutId: string): Promise<string> {
    const row = await this.checkout(checkoutId);
    if (itemOf(row).type !== 'plan') throw conflict('not-a-plan', 'this checkout is not a plan');
    return this.fulfilment.endSubscription({
      provider: 'sandbox',
      subscriptionRef: sandboxRefs(row.id).subscriptionRef,
      checkout: row,
    });
  }

  async listPayments(sinceMs: number): Promise<ProviderPayment[]> {
    const { rows } = await this.services.db.query<SandboxPaymentRow>(
      'select * from sandbox_payments where paid_at >= $1 order by paid_at, payment_id',
      [new Date(sinceMs).toISOString()],
    );
    return rows.map((r) => ({
      provider: 'sandbox',
      purchaseId: r.purchase_id,
      paymentRef: r.payment_id,
      itemId: r.item_id,
      accountId: r.account_id,
      checkoutId: r.checkout_id,
      amountCents: r.amount_cents,
      currency: r.currency,
      paidAt: r.paid_at,
      refunded: r.refunded_at ? 'full' : 'none',
      disputed: r.disputed_at !== null,
    }));
  }
}
