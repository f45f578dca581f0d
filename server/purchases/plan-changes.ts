import type { PlanChangeResponse, PlanStatus } from '../../shared/api/plans';
import type { Catalog, CatalogItem, PaymentProviderName } from '../../shared/api/purchases';
import type { Logger } from '../../shared/log/logger';
import { endOfUtcDay } from '../clock';
import { HttpError, conflict, notFound } from '../http/errors';
import { startOfNextUtcMonth } from '../ledger/monthly-credits';
import type { Services } from '../services';
import { findItem } from './catalog';
import type { Fulfilment } from './fulfilment';
import { payUpgrade } from './plan-fulfilment';
import { planStore, plusOneMonth } from './plan-store';
import { type CheckoutRow, type StoredSubscription, purchaseStore as store } from './store';
import type { StripeGateway } from './stripe-gateway';
import type { StripeInvoice } from './stripe-objects';
import { StripePlanSubscription, StripePlans, periodEndOf } from './stripe-plans';

type Plan = Extract<CatalogItem, { type: 'plan' }>;

/**
 * Plan self-service (docs/architecture.md §7): the plan, its renewal and next grant; upgrade
 * (the difference in credits at once, the prorated price charged now), downgrade (at the
 * renewal), cancel at period end and resume; Stripe's customer portal. With Stripe each change
 * is made on the subscription first (idempotency key per operation id) and credits come only
 * from a paid invoice; the sandbox does the same without money.
 */
export class PlanChanges {
  private readonly stripePlans: StripePlans | null;

  constructor(
    private readonly services: Services,
    private readonly catalog: Catalog,
    private readonly fulfilment: Fulfilment,
    private readonly stripe: StripeGateway | null,
    private readonly provider: PaymentProviderName | null,
    private readonly publicUrl: string,
    private readonly log: Logger,
  ) {
    this.stripePlans = stripe ? new StripePlans(stripe) : null;
  }

  private get db() {
    return this.services.db;
  }

  private plan(itemId: string): Plan | null {
    const item = findItem(this.catalog, itemId);
    return item?.type === 'plan' ? item : null;
  }

  async status(accountId: string): Promise<PlanStatus> {
    const { rows } = await this.db.query<{ plan: string }>(
      'select plan from accounts where id = $1',
      [accountId],
    );
    const account = rows[0];
    if (!account) throw notFound('account');
    const sub = await planStore.active(this.db, accountId);
    const plan = this.plan(sub?.plan_id ?? account.plan) ?? this.plan('free');
    if (!plan) throw notFound('plan');
    const now = this.services.clock.now();
    const renewsAt = sub ? await this.periodEnd(sub) : null;
    const pending = sub?.pending_plan_id ? this.plan(sub.pending_plan_id) : null;
    let nextGrant: PlanStatus['nextGrant'] = null;
    if (sub && renewsAt && !sub.cancel_at_period_end)
      nextGrant = {
        at: renewsAt,
        credits: (pending ?? plan).monthlyCredits,
        kind: 'renewal',
      };
    else if (!sub && plan.monthlyCredits > 0)
      nextGrant = { at: startOfNextUtcMonth(now), credits: plan.monthlyCredits, kind: 'monthly' };
    else if (!sub && plan.dailyCredits > 0)
      nextGrant = { at: endOfUtcDay(now), credits: plan.dailyCredits, kind: 'daily' };
    return {
      planId: plan.itemId,
      title: plan.title,
      priceCents: plan.priceCents,
      currency: plan.currency,
      creditsPerPeriod: plan.monthlyCredits,
      dailyCredits: plan.dailyCredits,
      rolloverCap: plan.rolloverCap,
      renewsAt,
      nextGrant,
      cancelAtPeriodEnd: sub?.cancel_at_period_end ?? false,
      pendingPlanId: sub?.pending_plan_id ?? null,
      provider: sub?.provider ?? this.provider,
      portal: sub?.provider === 'stripe' && this.stripePlans !== null,
    };
  }

  /** Moves to `itemId`: dearer at once, cheaper at the renewal, free = cancel at period end. */
  async change(
    accountId: string,
    req: { operationId: string; itemId: string },
  ): Promise<PlanChangeResponse> {
    return this.once(accountId, req.operationId, { op: 'plan-change', itemId: req.itemId }, () =>
      this.changeNow(accountId, req),
    );
  }

  /**
   * Runs a plan operation once per operation id (docs/architecture.md §2, idempotency): a replay
   * answers the first result, the same id for another request is refused (409). The ledger's
   * operation record holds it; the work itself happens between two short transactions, never
   * while the account's row is locked, because it calls Stripe and writes the ledger itself.
   */
  private async once(
    accountId: string,
    operationId: string,
    request: Record<string, string>,
    work: () => Promise<PlanChangeResponse>,
  ): Promise<PlanChangeResponse> {
    const operation = { operationId, request };
    const notYet = new Error('not yet recorded');
    try {
      const first = await this.services.ledger.write<PlanChangeResponse>(accountId, operation, () =>
        Promise.reject(notYet),
      );
      return first.body;
    } catch (error) {
      if (error !== notYet) throw error;
    }
    const result = await work();
    const recorded = await this.services.ledger.write(accountId, operation, async () => ({
      status: 200,
      body: result,
    }));
    return recorded.body;
  }

  private async changeNow(
    accountId: string,
    req: { operationId: string; itemId: string },
  ): Promise<PlanChangeResponse> {
    const to = this.plan(req.itemId);
    if (!to) throw notFound(`plan ${req.itemId}`);
    const sub = await this.activeOr409(accountId);
    if (to.priceCents === 0) return this.setCancel(accountId, req.operationId, true);
    const current = this.plan(sub.plan_id);
    if (!current)
      throw conflict(
        'unknown-plan',
        `the subscription's plan ${sub.plan_id} is not in the catalog`,
      );
    if (to.currency !== current.currency)
      throw conflict('currency-differs', `${to.title} is sold in another currency`);
    const key = `easel-plan-${accountId}-${req.operationId}`;
    const now = this.services.clock.now();
    if (to.itemId === current.itemId) {
      if (!sub.pending_plan_id)
        throw conflict('already-on-plan', `the account is on ${current.title} already`);
      // Back to the plan it is on: the downgrade waiting for the renewal is dropped.
      if (sub.provider === 'stripe')
        await this.stripeOr503().changePrice(sub.subscription_ref, current, {
          upgrade: false,
          idempotencyKey: key,
        });
      await planStore.update(
        this.db,
        sub.provider,
        sub.subscription_ref,
        { pending_plan_id: null },
        now,
      );
      return this.answer(accountId, 'downgrade-undone', 0);
    }
    if (to.priceCents < current.priceCents) {
      if (sub.provider === 'stripe')
        await this.stripeOr503().changePrice(sub.subscription_ref, to, {
          upgrade: false,
          idempotencyKey: key,
        });
      await planStore.update(
        this.db,
        sub.provider,
        sub.subscription_ref,
        { pending_plan_id: to.itemId },
        now,
      );
      return this.answer(accountId, 'downgrade-scheduled', 0);
    }
    return this.upgrade(accountId, sub, current, to, req.operationId, key);
  }

  private async upgrade(
    accountId: string,
    sub: StoredSubscription,
    current: Plan,
    to: Plan,
    operationId: string,
    key: string,
  ): Promise<PlanChangeResponse> {
    const checkout = await this.checkoutOf(sub);
    if (sub.provider === 'stripe') {
      const stripe = this.stripeOr503();
      let invoice: StripeInvoice | null;
      try {
        ({ invoice } = await stripe.changePrice(sub.subscription_ref, to, {
          upgrade: true,
          idempotencyKey: key,
        }));
      } catch (error) {
        this.log.warn({ accountId, error: String(error) }, 'stripe refused a plan upgrade');
        throw new HttpError(
          402,
          'upgrade-not-paid',
          'the upgrade could not be paid: nothing changed',
        );
      }
      if (!invoice) return this.answer(accountId, 'upgrade-pending', 0);
      const r = await this.upgradeInvoicePaid(invoice, checkout, sub.subscription_ref, to);
      return this.answer(accountId, 'upgraded', r.credits);
    }
    // The sandbox charges the prorated difference for the rest of the period, without money.
    const now = this.services.clock.now();
    const end = (await this.periodEnd(sub)) ?? plusOneMonth(now);
    const start = (await planStore.lastMonthPaid(this.db, sub.checkout_id)) ?? now;
    const left = Math.max(
      0,
      Math.min(1, (Date.parse(end) - Date.parse(now)) / (Date.parse(end) - Date.parse(start) || 1)),
    );
    const amount = Math.round((to.priceCents - current.priceCents) * left);
    const hex = checkout.id.slice('chk_'.length);
    const invoiceRef = `sbx_in_${hex}_up_${operationId}`;
    const paymentRef = `sbx_pay_${hex}_up_${operationId}`;
    const r = await payUpgrade(
      this.services,
      this.fulfilment,
      {
        checkout,
        subscriptionRef: sub.subscription_ref,
        invoiceRef,
        paymentRef,
        amountCents: amount,
        currency: to.currency,
        to,
        recordPayment: async (tx) => {
          await tx.query(
            'insert into sandbox_payments (payment_id, checkout_id, account_id, item_id, purchase_id, amount_cents, currency, paid_at) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (payment_id) do nothing',
            [
              paymentRef,
              checkout.id,
              accountId,
              to.itemId,
              `sandbox:${invoiceRef}:upgrade`,
              amount,
              to.currency,
              now,
            ],
          );
        },
      },
      this.catalog,
    );
    return this.answer(accountId, 'upgraded', r.credits);
  }

  /** Credits a paid upgrade invoice (from the API answer or from invoice.paid, whichever first). */
  async upgradeInvoicePaid(
    invoice: StripeInvoice,
    checkout: CheckoutRow,
    subscriptionRef: string,
    to: Plan,
  ): Promise<{ outcome: string; credits: number }> {
    const paymentRef =
      invoice.payments?.data.find((p) => p.status === 'paid')?.payment.payment_intent ??
      (await this.stripe?.invoicePaymentIntent(invoice.id)) ??
      invoice.id;
    return payUpgrade(
      this.services,
      this.fulfilment,
      {
        checkout,
        subscriptionRef,
        invoiceRef: invoice.id,
        paymentRef,
        amountCents: invoice.amount_paid,
        currency: invoice.currency,
        to,
      },
      this.catalog,
    );
  }

  /** invoice.paid for a `subscription_update` invoice: an upgrade made here or in the portal. */
  async stripeUpgradeEvent(
    invoice: StripeInvoice,
    subscriptionRef: string,
    planId: string | undefined,
  ): Promise<string> {
    const sub = await planStore.byRef(this.db, 'stripe', subscriptionRef);
    if (!sub) return 'ignored:unknown-subscription';
    const to = this.plan(planId ?? sub.plan_id);
    if (!to) return 'ignored:unknown-plan';
    const r = await this.upgradeInvoicePaid(
      invoice,
      await this.checkoutOf(sub),
      subscriptionRef,
      to,
    );
    return r.outcome;
  }

  /** customer.subscription.updated: cancel at period end and the period's end, as Stripe has them. */
  async stripeSubscriptionUpdated(object: unknown): Promise<string> {
    const parsed = StripePlanSubscription.safeParse(object);
    if (!parsed.success) return 'ignored:subscription-update';
    const sub = parsed.data;
    const row = await planStore.byRef(this.db, 'stripe', sub.id);
    if (!row || row.status !== 'active') return 'ignored:unknown-subscription';
    const end = periodEndOf(sub);
    await planStore.update(
      this.db,
      'stripe',
      sub.id,
      {
        cancel_at_period_end: sub.cancel_at_period_end,
        ...(end ? { current_period_end: end } : {}),
      },
      this.services.clock.now(),
    );
    return `updated:cancel-at-period-end=${sub.cancel_at_period_end}`;
  }

  async cancel(accountId: string, req: { operationId: string }): Promise<PlanChangeResponse> {
    return this.once(accountId, req.operationId, { op: 'plan-cancel' }, () =>
      this.setCancel(accountId, req.operationId, true),
    );
  }

  async resume(accountId: string, req: { operationId: string }): Promise<PlanChangeResponse> {
    return this.once(accountId, req.operationId, { op: 'plan-resume' }, () =>
      this.setCancel(accountId, req.operationId, false),
    );
  }

  private async setCancel(
    accountId: string,
    operationId: string,
    cancel: boolean,
  ): Promise<PlanChangeResponse> {
    const sub = await this.activeOr409(accountId);
    if (!cancel && !sub.cancel_at_period_end)
      throw conflict('not-cancelled', 'the plan is not set to end: nothing to resume');
    if (sub.provider === 'stripe')
      await this.stripeOr503().setCancelAtPeriodEnd(
        sub.subscription_ref,
        cancel,
        `easel-plan-${accountId}-${operationId}`,
      );
    await planStore.update(
      this.db,
      sub.provider,
      sub.subscription_ref,
      { cancel_at_period_end: cancel },
      this.services.clock.now(),
    );
    return this.answer(accountId, cancel ? 'cancel-scheduled' : 'resumed', 0);
  }

  /** A Stripe customer portal session's url (Stripe subscriptions only). */
  async portal(accountId: string): Promise<string> {
    const sub = await planStore.active(this.db, accountId);
    if (!sub || sub.provider !== 'stripe' || !this.stripePlans)
      throw conflict('no-portal', 'the customer portal is for plans paid through Stripe');
    return this.stripePlans.portal(sub.subscription_ref, `${this.publicUrl}/plan/portal-return`);
  }

  /**
   * The sandbox's renewal (operators, tests; it has no billing clock): a plan cancelled at
   * period end ends; otherwise the next month is paid, at the price of a downgrade waiting for it.
   */
  async renewSandbox(accountId: string): Promise<string> {
    const sub = await planStore.active(this.db, accountId);
    if (!sub || sub.provider !== 'sandbox')
      throw conflict('no-subscription', 'no sandbox plan to renew');
    const checkout = await this.checkoutOf(sub);
    if (sub.cancel_at_period_end)
      return this.fulfilment.endSubscription({
        provider: 'sandbox',
        subscriptionRef: sub.subscription_ref,
        checkout,
      });
    const plan = this.plan(sub.pending_plan_id ?? sub.plan_id);
    if (!plan) throw conflict('unknown-plan', 'the plan is not in the catalog');
    const { rows } = await this.db.query<{ n: number }>(
      `select count(*)::int as n from purchase_fulfilments where checkout_id = $1 and purchase_id not like '%:upgrade'`,
      [checkout.id],
    );
    const n = (rows[0]?.n ?? 0) + 1;
    const hex = checkout.id.slice('chk_'.length);
    const invoiceRef = `sbx_in_${hex}_${n}`;
    const paymentRef = `sbx_pay_${hex}_${n}`;
    const now = this.services.clock.now();
    await this.db.query(
      'insert into sandbox_payments (payment_id, checkout_id, account_id, item_id, purchase_id, amount_cents, currency, paid_at) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (payment_id) do nothing',
      [
        paymentRef,
        checkout.id,
        accountId,
        plan.itemId,
        `sandbox:${invoiceRef}`,
        plan.priceCents,
        plan.currency,
        now,
      ],
    );
    return this.fulfilment.payInvoice({
      checkout,
      invoiceRef,
      subscriptionRef: sub.subscription_ref,
      paymentRef,
      amountCents: plan.priceCents,
      currency: plan.currency,
    });
  }

  private async answer(
    accountId: string,
    outcome: PlanChangeResponse['outcome'],
    creditsGranted: number,
  ): Promise<PlanChangeResponse> {
    return { outcome, creditsGranted, plan: await this.status(accountId) };
  }

  private async periodEnd(sub: StoredSubscription): Promise<string | null> {
    if (sub.current_period_end) return sub.current_period_end;
    const last = await planStore.lastMonthPaid(this.db, sub.checkout_id);
    return last ? plusOneMonth(last) : null;
  }

  private async activeOr409(accountId: string): Promise<StoredSubscription> {
    const sub = await planStore.active(this.db, accountId);
    if (!sub)
      throw conflict('no-subscription', 'the account has no paid plan: buy one in the Store first');
    return sub;
  }

  private async checkoutOf(sub: StoredSubscription): Promise<CheckoutRow> {
    const checkout = await store.checkout(this.db, sub.checkout_id);
    if (!checkout) throw notFound('checkout');
    return checkout;
  }

  private stripeOr503(): StripePlans {
    if (!this.stripePlans)
      throw new HttpError(503, 'stripe-not-configured', 'Stripe is not configured on this server');
    return this.stripePlans;
  }
}
