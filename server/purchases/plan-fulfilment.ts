import type { Catalog, CatalogItem, PaymentProviderName } from '../../shared/api/purchases';
import type { Database, Sql } from '../db/database';
import type { WriteContext } from '../ledger/ledger-service';
import type { Services } from '../services';
import { findItem } from './catalog';
import { planStore, plusOneMonth } from './plan-store';
import { applyPendingReversals } from './reversals';
import { type CheckoutRow, itemOf, purchaseStore as store } from './store';
import type { Fulfilment } from './fulfilment';

/**
 * The plan a paid month is for (docs/architecture.md §7, plan self-service): a downgrade waiting
 * for this renewal, else the subscription's plan (after an upgrade), else the checkout's.
 */
export async function planOfInvoice(
  db: Database,
  catalog: Catalog,
  checkout: CheckoutRow,
  subscriptionRef: string,
): Promise<CatalogItem> {
  const bought = itemOf(checkout);
  const row = await planStore.byRef(db, checkout.provider, subscriptionRef);
  const planId = row?.pending_plan_id ?? row?.plan_id ?? bought.itemId;
  if (planId === bought.itemId) return bought;
  return findItem(catalog, planId) ?? bought;
}

/** A month is paid: the plan it was for is the subscription's now, until a month later. */
export async function monthPaid(
  ctx: WriteContext,
  provider: PaymentProviderName,
  subscriptionRef: string,
  planId: string,
): Promise<void> {
  const row = await planStore.byRef(ctx.tx, provider, subscriptionRef);
  const next = plusOneMonth(ctx.now);
  await planStore.update(
    ctx.tx,
    provider,
    subscriptionRef,
    {
      plan_id: planId,
      pending_plan_id: null,
      // Stripe's own period end (customer.subscription.updated) is kept when it is later.
      current_period_end:
        row?.current_period_end && row.current_period_end > next ? row.current_period_end : next,
    },
    ctx.now,
  );
}

/** What an upgrade's payment says: the provider's invoice for the prorated difference. */
export interface PaidUpgrade {
  checkout: CheckoutRow;
  subscriptionRef: string;
  invoiceRef: string;
  paymentRef: string;
  amountCents: number;
  currency: string;
  /** The dearer plan the subscription moves to. */
  to: CatalogItem;
  /**
   * The sandbox records its payment here, inside the write and only when it grants, so two
   * upgrades racing never leave a payment without its credits.
   */
  recordPayment?: (tx: Sql) => Promise<void>;
}

/**
 * An upgrade (docs/architecture.md §7): the difference between the two plans' monthly credits is
 * credited at once, as a purchase of the new plan priced at what the proration cost, and the
 * plan changes now. The purchase id is the upgrade invoice's, so the API answer and the webhook
 * that both report it credit it once; and the difference is taken from the plan the
 * subscription is on inside the same ledger write, so a second upgrade to the same plan grants
 * nothing (never a double grant).
 */
export async function payUpgrade(
  services: Services,
  fulfilment: Fulfilment,
  up: PaidUpgrade,
  catalog: Catalog,
): Promise<{ outcome: string; credits: number }> {
  const { checkout, to } = up;
  const provider = checkout.provider;
  if (to.type !== 'plan') return { outcome: 'refused:not-a-plan', credits: 0 };
  if (up.currency !== to.currency) {
    await fulfilment.incident(
      checkout,
      up.invoiceRef,
      'amount-mismatch',
      'upgrade paid in another currency',
    );
    return { outcome: 'refused:amount-mismatch', credits: 0 };
  }
  const purchaseId = `${provider}:${up.invoiceRef}:upgrade`;
  const r = await services.ledger.write(
    checkout.account_id,
    { operationId: purchaseId, request: { op: 'upgrade', purchaseId, to: to.itemId } },
    async (ctx) => {
      const row = await planStore.byRef(ctx.tx, provider, up.subscriptionRef);
      const fromId = row?.plan_id ?? itemOf(checkout).itemId;
      const from = findItem(catalog, fromId);
      const difference =
        from?.type === 'plan' ? Math.max(0, to.monthlyCredits - from.monthlyCredits) : 0;
      if (row?.status === 'canceled') return { status: 200, body: { credits: 0, ended: true } };
      await store.lockPayment(ctx.tx, provider, up.paymentRef);
      await planStore.update(
        ctx.tx,
        provider,
        up.subscriptionRef,
        { plan_id: to.itemId, pending_plan_id: null },
        ctx.now,
      );
      await store.setAccountPlan(ctx.tx, ctx.accountId, to.itemId);
      if (difference === 0) return { status: 200, body: { credits: 0, ended: false } };
      await up.recordPayment?.(ctx.tx);
      await fulfilment.credit(ctx, {
        purchaseId,
        checkout,
        paymentRef: up.paymentRef,
        amountCents: up.amountCents,
        item: { ...to, monthlyCredits: difference },
      });
      await applyPendingReversals(ctx, provider, up.paymentRef, purchaseId, up.amountCents);
      return { status: 201, body: { credits: difference, ended: false } };
    },
  );
  if (r.replayed) return { outcome: 'already-credited', credits: r.body.credits };
  if (r.body.ended) return { outcome: 'ignored:subscription-ended', credits: 0 };
  return {
    outcome: r.body.credits > 0 ? 'upgraded' : 'upgraded:no-difference',
    credits: r.body.credits,
  };
}
