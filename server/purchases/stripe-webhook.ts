import { CheckoutId } from '../../shared/api/purchases';
import type { Services } from '../services';
import { HttpError } from '../http/errors';
import type { Fulfilment } from './fulfilment';
import type { PlanChanges } from './plan-changes';
import type { Logger } from '../../shared/log/logger';
import { type CheckoutRow, purchaseStore as store } from './store';
import type { StripeGateway } from './stripe-gateway';
import {
  StripeCharge,
  StripeDispute,
  StripeEventEnvelope,
  StripeInvoice,
  StripeSession,
  StripeSubscription,
  readStripe,
} from './stripe-objects';

export interface WebhookResult {
  received: true;
  eventId: string;
  duplicate: boolean;
  outcome: string;
}

/**
 * Stripe webhooks: the only way Stripe payments reach the ledger. The signature is checked on
 * the raw body; each event id is handled once (and repeats of the same payment under other
 * event ids are replays of one ledger operation); events may come in any order.
 */
export class StripeWebhook {
  /** Handlers for further event types (auto top-up's payment intents, §7). */
  readonly handlers = new Map<string, (object: unknown) => Promise<string>>();
  /** Run after an event was handled, before it is recorded (receipts, saved cards, §7). */
  readonly listeners: Array<(type: string, object: unknown, outcome: string) => Promise<void>> = [];

  constructor(
    private readonly services: Services,
    private readonly gateway: StripeGateway,
    private readonly fulfilment: Fulfilment,
    private readonly log: Logger,
    /** Plan self-service: upgrade invoices and subscription updates (docs/architecture.md §7). */
    private readonly plans?: PlanChanges,
  ) {}

  async receive(rawBody: Buffer, signature: string | undefined): Promise<WebhookResult> {
    if (!signature)
      throw new HttpError(400, 'invalid-signature', 'the Stripe-Signature header is missing');
    let verified: unknown;
    try {
      verified = this.gateway.verify(rawBody, signature, Date.parse(this.services.clock.now()));
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : 'invalid';
      this.log.warn({ message }, 'stripe webhook refused: bad signature');
      throw new HttpError(
        400,
        'invalid-signature',
        'the Stripe signature does not match this body, or it is too old',
      );
    }
    const envelope = StripeEventEnvelope.safeParse(verified);
    if (!envelope.success)
      throw new HttpError(400, 'invalid-event', 'the body is not a Stripe event');
    const event = envelope.data;
    const db = this.services.db;
    if (await store.eventSeen(db, 'stripe', event.id))
      return { received: true, eventId: event.id, duplicate: true, outcome: 'duplicate' };
    // Recorded only once handled: a failure answers 500 and Stripe delivers the event again.
    const outcome = await this.dispatch(event.type, event.data.object);
    for (const listener of this.listeners) await listener(event.type, event.data.object, outcome);
    await store.recordEvent(db, {
      provider: 'stripe',
      eventId: event.id,
      type: event.type,
      outcome,
      now: this.services.clock.now(),
    });
    this.log.info({ eventId: event.id, type: event.type, outcome }, 'stripe event');
    return { received: true, eventId: event.id, duplicate: false, outcome };
  }

  private async dispatch(type: string, object: unknown): Promise<string> {
    switch (type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
        return this.sessionCompleted(readStripe(StripeSession, object, 'checkout session'));
      case 'checkout.session.async_payment_failed':
        return this.sessionEnded(readStripe(StripeSession, object, 'checkout session'), 'failed');
      case 'checkout.session.expired':
        return this.sessionEnded(readStripe(StripeSession, object, 'checkout session'), 'expired');
      case 'invoice.paid':
        return this.invoicePaid(readStripe(StripeInvoice, object, 'invoice'));
      case 'customer.subscription.deleted':
        return this.subscriptionEnded(readStripe(StripeSubscription, object, 'subscription'));
      case 'customer.subscription.updated': {
        const sub = readStripe(StripeSubscription, object, 'subscription');
        if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
          return this.subscriptionEnded(sub);
        return this.plans?.stripeSubscriptionUpdated(object) ?? 'ignored:subscription-update';
      }
      case 'charge.refunded':
        return this.chargeRefunded(readStripe(StripeCharge, object, 'charge'));
      case 'charge.dispute.created':
        return this.disputeCreated(readStripe(StripeDispute, object, 'dispute'));
      default: {
        const handler = this.handlers.get(type);
        return handler ? handler(object) : `ignored:${type}`;
      }
    }
  }

  private async sessionCompleted(s: StripeSession): Promise<string> {
    if (s.mode === 'setup') return 'ignored:setup-session';
    const checkout = await this.checkoutOf(s.id, s.client_reference_id ?? s.metadata.checkoutId);
    if (!checkout) return this.unknownCheckout(s.id, s.metadata.checkoutId);
    if (s.payment_status === 'unpaid') {
      // An asynchronous payment method: credited on checkout.session.async_payment_succeeded.
      await store.setStatus(
        this.services.db,
        checkout.id,
        'processing',
        ['creating', 'open'],
        this.services.clock.now(),
      );
      return 'awaiting-payment';
    }
    if (s.payment_status !== 'paid')
      return this.fulfilment.refuse(
        checkout,
        s.id,
        'not-paid',
        `payment status ${s.payment_status}`,
      );
    return this.fulfilment.completeCheckout({
      checkout,
      sessionRef: s.id,
      paymentRef: s.payment_intent ?? s.invoice ?? s.id,
      amountCents: s.amount_total,
      currency: s.currency,
      subscriptionRef: s.subscription ?? null,
    });
  }

  private async sessionEnded(s: StripeSession, status: 'failed' | 'expired'): Promise<string> {
    const checkout = await this.checkoutOf(s.id, s.client_reference_id ?? s.metadata.checkoutId);
    if (!checkout) return this.unknownCheckout(s.id, s.metadata.checkoutId);
    const moved = await store.setStatus(
      this.services.db,
      checkout.id,
      status,
      ['creating', 'open', 'processing'],
      this.services.clock.now(),
      status === 'failed' ? 'the asynchronous payment failed' : null,
    );
    return moved ? status : `ignored:already-${checkout.status}`;
  }

  private async invoicePaid(inv: StripeInvoice): Promise<string> {
    const details = inv.parent?.subscription_details;
    if (!details) return 'ignored:not-a-subscription-invoice';
    // A plan change's prorated invoice: the upgrade's difference, never a month (§7).
    if (inv.billing_reason === 'subscription_update')
      return this.plans
        ? this.plans.stripeUpgradeEvent(inv, details.subscription, details.metadata.planId)
        : 'ignored:subscription-update-invoice';
    const known = await store.subscription(this.services.db, 'stripe', details.subscription);
    const checkout = await this.checkoutOf(null, known?.checkout_id ?? details.metadata.checkoutId);
    if (!checkout) return this.unknownCheckout(inv.id, details.metadata.checkoutId);
    const fromEvent = inv.payments?.data.find((p) => p.status === 'paid')?.payment.payment_intent;
    const paymentRef = fromEvent ?? (await this.gateway.invoicePaymentIntent(inv.id)) ?? inv.id;
    return this.fulfilment.payInvoice({
      checkout,
      invoiceRef: inv.id,
      subscriptionRef: details.subscription,
      paymentRef,
      amountCents: inv.amount_paid,
      currency: inv.currency,
    });
  }

  private async subscriptionEnded(sub: {
    id: string;
    metadata: Record<string, string>;
  }): Promise<string> {
    const checkout = await this.checkoutOf(null, sub.metadata.checkoutId);
    return this.fulfilment.endSubscription({
      provider: 'stripe',
      subscriptionRef: sub.id,
      checkout,
    });
  }

  private async chargeRefunded(c: StripeCharge): Promise<string> {
    if (!c.payment_intent)
      return this.fulfilment.incident(
        null,
        c.id,
        'refund-without-payment-intent',
        'ignored',
        'stripe',
      );
    // A partial refund takes back its share of the credits (cumulative: Stripe sends what was
    // refunded so far); each amount is its own reversal, the full one keeps the charge's id.
    return this.fulfilment.reverse({
      provider: 'stripe',
      ref: c.refunded ? c.id : `${c.id}:${c.amount_refunded}`,
      paymentRef: c.payment_intent,
      reason: 'refunded',
      amountCents: c.amount_refunded,
      currency: c.currency,
    });
  }

  private async disputeCreated(d: {
    id: string;
    amount: number;
    currency: string;
    charge: string;
    payment_intent?: string | null | undefined;
  }): Promise<string> {
    const intent = d.payment_intent ?? (await this.gateway.chargePaymentIntent(d.charge));
    if (!intent)
      return this.fulfilment.incident(
        null,
        d.id,
        'dispute-without-payment-intent',
        'ignored',
        'stripe',
      );
    return this.fulfilment.reverse({
      provider: 'stripe',
      ref: d.id,
      paymentRef: intent,
      reason: 'disputed',
      amountCents: d.amount,
      currency: d.currency,
    });
  }

  /** Our checkout for a Stripe session: by the session id, else by our id in its metadata. */
  private async checkoutOf(
    sessionId: string | null,
    ourId: string | undefined | null,
  ): Promise<CheckoutRow | null> {
    const db = this.services.db;
    if (sessionId) {
      const bySession = await store.checkoutBySession(db, 'stripe', sessionId);
      if (bySession) return bySession;
    }
    if (!ourId || !CheckoutId.safeParse(ourId).success) return null;
    const row = await store.checkout(db, ourId);
    if (!row || row.provider !== 'stripe') return null;
    if (sessionId && row.provider_session_id && row.provider_session_id !== sessionId) return null;
    return row;
  }

  private async unknownCheckout(ref: string, claimed: string | undefined): Promise<string> {
    if (!claimed) return 'ignored:not-ours';
    await this.fulfilment.incident(
      null,
      ref,
      'unknown-checkout',
      `names checkout ${claimed}, which this server does not have`,
      'stripe',
    );
    return 'ignored:unknown-checkout';
  }
}
