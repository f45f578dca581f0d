import type Stripe from 'stripe';
import { z } from 'zod';
import type { StripeGateway } from './stripe-gateway';
import { StripeId, StripeInvoice, readStripe } from './stripe-objects';

const Ref = z
  .union([StripeId, z.object({ id: StripeId })])
  .transform((v) => (typeof v === 'string' ? v : v.id));

/** The subscription fields plan self-service reads (docs/architecture.md §7). */
export const StripePlanSubscription = z.object({
  id: StripeId,
  status: z.string(),
  customer: Ref,
  cancel_at_period_end: z.boolean().default(false),
  /** Before API version 2025-03-31 the period sat on the subscription itself. */
  current_period_end: z.int().optional(),
  metadata: z
    .record(z.string(), z.string())
    .nullish()
    .transform((m) => m ?? {}),
  items: z.object({
    data: z
      .array(
        z.object({
          id: StripeId,
          current_period_end: z.int().optional(),
          price: z.object({ product: Ref }),
        }),
      )
      .min(1),
  }),
});
export type StripePlanSubscription = z.infer<typeof StripePlanSubscription>;

/** When the subscription's paid period ends, as an ISO time (null when Stripe says nothing). */
export function periodEndOf(sub: StripePlanSubscription): string | null {
  const end = sub.items.data[0]?.current_period_end ?? sub.current_period_end;
  return end === undefined ? null : new Date(end * 1000).toISOString();
}

/**
 * The Stripe calls of plan self-service, through the official SDK: a new price on the
 * subscription's item (prorated and invoiced at once for an upgrade; from the next renewal for
 * a downgrade), cancel at period end and resume, and the customer portal.
 */
export class StripePlans {
  constructor(private readonly gateway: StripeGateway) {}

  private get client(): Stripe {
    return this.gateway.client;
  }

  async retrieve(subscriptionRef: string): Promise<StripePlanSubscription> {
    const raw = await this.client.subscriptions.retrieve(subscriptionRef);
    return readStripe(StripePlanSubscription, raw, 'subscription');
  }

  /**
   * Puts the subscription on `plan`'s price. An upgrade is invoiced now for the rest of the
   * period and must be paid now (`error_if_incomplete`); returns that invoice when paid.
   */
  async changePrice(
    subscriptionRef: string,
    plan: { itemId: string; priceCents: number; currency: string },
    opts: { upgrade: boolean; idempotencyKey: string },
  ): Promise<{ invoice: StripeInvoice | null }> {
    const sub = await this.retrieve(subscriptionRef);
    const item = sub.items.data[0];
    if (!item) throw new Error('the subscription has no item');
    const updated = await this.client.subscriptions.update(
      subscriptionRef,
      {
        items: [
          {
            id: item.id,
            price_data: {
              currency: plan.currency,
              product: item.price.product,
              unit_amount: plan.priceCents,
              recurring: { interval: 'month' },
            },
          },
        ],
        proration_behavior: opts.upgrade ? 'always_invoice' : 'none',
        ...(opts.upgrade ? { payment_behavior: 'error_if_incomplete' as const } : {}),
        metadata: { planId: plan.itemId },
        expand: ['latest_invoice'],
      },
      { idempotencyKey: opts.idempotencyKey },
    );
    const latest = (updated as { latest_invoice?: unknown }).latest_invoice;
    if (!opts.upgrade || typeof latest !== 'object' || latest === null) return { invoice: null };
    const invoice = readStripe(StripeInvoice, latest, 'invoice');
    return { invoice: invoice.billing_reason === 'subscription_update' ? invoice : null };
  }

  async setCancelAtPeriodEnd(
    subscriptionRef: string,
    cancel: boolean,
    idempotencyKey: string,
  ): Promise<StripePlanSubscription> {
    const raw = await this.client.subscriptions.update(
      subscriptionRef,
      { cancel_at_period_end: cancel },
      { idempotencyKey },
    );
    return readStripe(StripePlanSubscription, raw, 'subscription');
  }

  /** A customer portal session for the subscription's customer; its url. */
  async portal(subscriptionRef: string, returnUrl: string): Promise<string> {
    const sub = await this.retrieve(subscriptionRef);
    const session = await this.client.billingPortal.sessions.create({
      customer: sub.customer,
      return_url: returnUrl,
    });
    return readStripe(z.object({ url: z.string().url() }), session, 'portal session').url;
  }
}
