import type { Catalog, CatalogItem, PaymentProviderName } from '../../shared/api/purchases';
import { defaultCatalogData, parseCatalog } from './catalog';
import { monthPaid, planOfInvoice } from './plan-fulfilment';
import type { WriteContext } from '../ledger/ledger-service';
import type { Services } from '../services';
import { appendRollover } from '../ledger/rollover';
import { purchaseDraft } from './drafts';
import type { Logger } from '../../shared/log/logger';
import { applyPendingReversals, reversePayment } from './reversals';
import { type CheckoutRow, type ProviderReversal, itemOf, purchaseStore as store } from './store';

/** A checkout the provider says is paid (Stripe's checkout.session.completed, the sandbox's Pay). */
export interface PaidCheckout {
  checkout: CheckoutRow;
  /** The provider's session id (the sandbox's is our checkout id). */
  sessionRef: string;
  /** What refunds and disputes name: the payment intent (or the sandbox payment). */
  paymentRef: string;
  amountCents: number | null;
  currency: string | null;
  /** For a plan: the subscription the checkout started. */
  subscriptionRef: string | null;
}

/** One paid month of a plan (Stripe's invoice.paid). */
export interface PaidInvoice {
  checkout: CheckoutRow;
  invoiceRef: string;
  subscriptionRef: string;
  paymentRef: string;
  amountCents: number | null;
  currency: string | null;
}

/**
 * The one fulfilment path for every provider: it checks the amount against what the checkout
 * sold, credits through LedgerService.write under an operation id derived from the provider's
 * ids (so repeats are replays), and takes credits back on refunds and disputes, including those
 * that arrived before the payment was credited.
 */
export class Fulfilment {
  constructor(
    private readonly services: Services,
    private readonly log: Logger,
    /** The catalog a changed plan's items come from (docs/architecture.md §7, self-service). */
    private readonly catalog: Catalog = parseCatalog(defaultCatalogData),
  ) {}

  private get now(): string {
    return this.services.clock.now();
  }

  /** Returns what happened, for the event log: 'credited', 'already-credited', 'refused:…'. */
  async completeCheckout(paid: PaidCheckout): Promise<string> {
    const { checkout } = paid;
    const provider = checkout.provider;
    const item = itemOf(checkout);
    const problem = mismatch(checkout, paid.amountCents, paid.currency);
    if (problem) return this.refuse(checkout, paid.sessionRef, 'amount-mismatch', problem);
    if (item.type === 'plan') {
      if (!paid.subscriptionRef)
        return this.refuse(checkout, paid.sessionRef, 'no-subscription', 'no subscription');
      return this.startSubscription(paid, item.itemId, paid.subscriptionRef);
    }
    const purchaseId = `${provider}:${paid.sessionRef}`;
    const r = await this.services.ledger.write(
      checkout.account_id,
      { operationId: purchaseId, request: { op: 'purchase', purchaseId } },
      async (ctx) => {
        await store.lockPayment(ctx.tx, provider, paid.paymentRef);
        await store.markComplete(ctx.tx, checkout.id, {
          paymentRef: paid.paymentRef,
          subscriptionRef: null,
          now: ctx.now,
        });
        const seq = await this.credit(ctx, {
          purchaseId,
          checkout,
          paymentRef: paid.paymentRef,
          amountCents: checkout.amount_cents,
        });
        const reversed = await applyPendingReversals(
          ctx,
          provider,
          paid.paymentRef,
          purchaseId,
          checkout.amount_cents,
        );
        return { status: 201, body: { purchaseId, seq, reversed } };
      },
    );
    if (r.replayed) return 'already-credited';
    return r.body.reversed ? 'credited-and-reversed' : 'credited';
  }

  /** A month of a plan: the month's credits, and the plan on the account while it is active. */
  async payInvoice(inv: PaidInvoice): Promise<string> {
    const { checkout } = inv;
    const provider = checkout.provider;
    // The plan this month is for: the checkout's, or the one it changed to (§7, self-service).
    const item = await planOfInvoice(this.services.db, this.catalog, checkout, inv.subscriptionRef);
    if (item.type !== 'plan')
      return this.incident(checkout, inv.invoiceRef, 'not-a-plan', 'invoice for a pack checkout');
    const problem = mismatch(
      { ...checkout, amount_cents: item.priceCents },
      inv.amountCents,
      inv.currency,
    );
    if (problem) return this.incident(checkout, inv.invoiceRef, 'amount-mismatch', problem);
    const purchaseId = `${provider}:${inv.invoiceRef}`;
    const r = await this.services.ledger.write(
      checkout.account_id,
      { operationId: purchaseId, request: { op: 'purchase', purchaseId } },
      async (ctx) => {
        await store.lockPayment(ctx.tx, provider, inv.paymentRef);
        // The previous period's plan credits end here: unused ones roll over, up to the cap.
        appendRollover(ctx, item, purchaseId);
        const seq = await this.credit(ctx, {
          purchaseId,
          checkout,
          paymentRef: inv.paymentRef,
          amountCents: item.priceCents,
          item,
        });
        const status = await store.upsertSubscription(ctx.tx, {
          provider,
          subscription_ref: inv.subscriptionRef,
          account_id: checkout.account_id,
          checkout_id: checkout.id,
          plan_id: item.itemId,
          status: 'active',
          now: ctx.now,
        });
        await monthPaid(ctx, provider, inv.subscriptionRef, item.itemId);
        // A month paid after the subscription ended still grants its credits, not the plan.
        if (status === 'active') await store.setAccountPlan(ctx.tx, ctx.accountId, item.itemId);
        await store.markComplete(ctx.tx, checkout.id, {
          paymentRef: inv.paymentRef,
          subscriptionRef: inv.subscriptionRef,
          now: ctx.now,
        });
        await store.setCheckoutPurchase(ctx.tx, checkout.id, purchaseId);
        const reversed = await applyPendingReversals(
          ctx,
          provider,
          inv.paymentRef,
          purchaseId,
          item.priceCents,
        );
        return { status: 201, body: { purchaseId, seq, reversed } };
      },
    );
    if (r.replayed) return 'already-credited';
    return r.body.reversed ? 'credited-and-reversed' : 'credited';
  }

  /** The subscription ended: the plan goes back to free (or to another active subscription's). */
  async endSubscription(e: {
    provider: PaymentProviderName;
    subscriptionRef: string;
    checkout: CheckoutRow | null;
  }): Promise<string> {
    const known = await store.subscription(this.services.db, e.provider, e.subscriptionRef);
    const accountId = known?.account_id ?? e.checkout?.account_id;
    const checkoutId = known?.checkout_id ?? e.checkout?.id;
    if (!accountId || !checkoutId) return 'ignored:unknown-subscription';
    const planId = known?.plan_id ?? (e.checkout ? itemOf(e.checkout).itemId : 'free');
    const r = await this.services.ledger.write(
      accountId,
      {
        operationId: `${e.provider}:cancel:${e.subscriptionRef}`,
        request: { op: 'cancel', subscriptionRef: e.subscriptionRef },
      },
      async (ctx) => {
        await store.cancelSubscription(ctx.tx, {
          provider: e.provider,
          subscription_ref: e.subscriptionRef,
          account_id: accountId,
          checkout_id: checkoutId,
          plan_id: planId,
          now: ctx.now,
        });
        const active = await store.activeSubscriptions(ctx.tx, accountId);
        const plan = active[0]?.plan_id ?? 'free';
        await store.setAccountPlan(ctx.tx, accountId, plan);
        return { status: 200, body: { plan } };
      },
    );
    return r.replayed ? 'already-canceled' : `canceled:plan=${r.body.plan}`;
  }

  /** A refund or dispute: see reversals.ts. */
  reverse(rev: ProviderReversal): Promise<string> {
    return reversePayment(this.services, this.log, rev);
  }

  /** Refuses a payment that does not match what was sold: logged, recorded, never credited. */
  async refuse(checkout: CheckoutRow, ref: string, code: string, message: string): Promise<string> {
    await store.setStatus(
      this.services.db,
      checkout.id,
      'refused',
      ['creating', 'open', 'processing', 'failed', 'expired', 'canceled'],
      this.now,
      `${code}: ${message}`,
    );
    return this.incident(checkout, ref, code, message);
  }

  async incident(
    checkout: CheckoutRow | null,
    ref: string,
    code: string,
    message: string,
    provider: PaymentProviderName | undefined = checkout?.provider,
  ): Promise<string> {
    const p = provider ?? 'stripe';
    await store.recordIncident(this.services.db, {
      provider: p,
      ref,
      accountId: checkout?.account_id ?? null,
      code,
      message,
      now: this.now,
    });
    this.log.warn(
      { provider: p, ref, checkoutId: checkout?.id, accountId: checkout?.account_id, message },
      `purchase refused or needs an operator: ${code}`,
    );
    return `refused:${code}`;
  }

  private async startSubscription(
    paid: PaidCheckout,
    planId: string,
    subscriptionRef: string,
  ): Promise<string> {
    const { checkout } = paid;
    const r = await this.services.ledger.write(
      checkout.account_id,
      {
        operationId: `${checkout.provider}:${paid.sessionRef}`,
        request: { op: 'subscribe', sessionRef: paid.sessionRef },
      },
      async (ctx) => {
        const status = await store.upsertSubscription(ctx.tx, {
          provider: checkout.provider,
          subscription_ref: subscriptionRef,
          account_id: checkout.account_id,
          checkout_id: checkout.id,
          plan_id: planId,
          status: 'active',
          now: ctx.now,
        });
        if (status === 'active') await store.setAccountPlan(ctx.tx, ctx.accountId, planId);
        await store.markComplete(ctx.tx, checkout.id, {
          paymentRef: paid.paymentRef,
          subscriptionRef,
          now: ctx.now,
        });
        return { status: 200, body: { status } };
      },
    );
    return r.replayed ? 'already-subscribed' : `subscription-${r.body.status}`;
  }

  /** Appends the purchase entry and its fulfilment row; returns the entry's seq. */
  async credit(
    ctx: WriteContext,
    c: {
      purchaseId: string;
      checkout: CheckoutRow;
      paymentRef: string;
      amountCents: number;
      /** The item credited when it is not the checkout's (a changed plan, an upgrade). */
      item?: CatalogItem;
    },
  ): Promise<number> {
    const { checkout } = c;
    const item = c.item ?? itemOf(checkout);
    const entry = ctx.append(
      purchaseDraft({
        purchaseId: c.purchaseId,
        provider: checkout.provider,
        paymentRef: c.paymentRef,
        item,
        priceCents: c.amountCents,
        currency: checkout.currency,
        now: ctx.now,
      }),
    );
    await store.insertFulfilment(ctx.tx, {
      purchase_id: c.purchaseId,
      provider: checkout.provider,
      account_id: checkout.account_id,
      checkout_id: checkout.id,
      item_id: item.itemId,
      payment_ref: c.paymentRef,
      amount_cents: c.amountCents,
      currency: checkout.currency,
      seq: entry.seq,
      credited_at: ctx.now,
    });
    await store.setCheckoutPurchase(ctx.tx, checkout.id, c.purchaseId);
    return entry.seq;
  }
}

function mismatch(
  checkout: CheckoutRow,
  amountCents: number | null,
  currency: string | null,
): string | null {
  if (amountCents === null || currency === null) return 'the payment names no amount';
  if (currency !== checkout.currency)
    return `paid in ${currency}, the catalog price is in ${checkout.currency}`;
  if (amountCents !== checkout.amount_cents)
    return `paid ${amountCents}, the catalog price is ${checkout.amount_cents} (${checkout.currency})`;
  return null;
}
