import Stripe from 'stripe';
import { z } from 'zod';
import { type CatalogItem, CheckoutId } from '../../shared/api/purchases';
import type { StripeSettings } from './config';
import type { ProviderPayment } from './provider-payment';
import type { CheckoutRow } from './store';
import {
  StripeCharge,
  StripeId,
  StripeInvoice,
  StripeInvoicePayment,
  StripeSession,
  readStripe,
} from './stripe-objects';

const isOurs = (checkoutId: string | null): boolean =>
  checkoutId !== null && CheckoutId.safeParse(checkoutId).success;

/** Receipts and auto top-up (docs/architecture.md §7): the account's customer, and saving its card. */
export interface SessionExtras {
  customer?: string;
  saveCard?: boolean;
}

const CreatedSession = z.object({ id: StripeId, url: z.string().url(), expires_at: z.int() });

/** Everything Easel asks of the Stripe API, through the official SDK. */
export class StripeGateway {
  readonly client: Stripe;

  constructor(readonly settings: StripeSettings) {
    this.client = new Stripe(settings.secretKey, {
      ...(settings.apiHost ? { host: settings.apiHost } : {}),
      ...(settings.apiPort ? { port: settings.apiPort } : {}),
      ...(settings.apiProtocol ? { protocol: settings.apiProtocol } : {}),
      maxNetworkRetries: settings.maxNetworkRetries ?? 2,
      timeout: 20_000,
      telemetry: false,
      appInfo: { name: 'Easel' },
    });
  }

  /**
   * A Checkout Session for one catalog item: `payment` mode for a pack, `subscription` for a
   * plan. Our checkout id is the idempotency key, the client reference and (with the account and
   * item) the metadata, also copied to the payment intent or subscription so later events name it.
   */
  async createSession(
    row: CheckoutRow,
    item: CatalogItem,
    urls: { success: string; cancel: string },
    extras: SessionExtras = {},
  ): Promise<{ id: string; url: string; expiresAt: string }> {
    const metadata = {
      checkoutId: row.id,
      accountId: row.account_id,
      itemId: item.itemId,
      // The webhook keeps the card a pack's payment saved for auto top-up (§7).
      ...(extras.saveCard && item.type === 'pack' ? { saveCard: 'off_session' } : {}),
    };
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: item.type === 'pack' ? 'payment' : 'subscription',
      client_reference_id: row.id,
      metadata,
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: row.currency,
            unit_amount: row.amount_cents,
            product_data: {
              name: item.title,
              ...(item.description ? { description: item.description } : {}),
            },
            ...(item.type === 'plan' ? { recurring: { interval: item.interval } } : {}),
          },
        },
      ],
      success_url: urls.success,
      cancel_url: urls.cancel,
      ...(item.type === 'pack'
        ? {
            payment_intent_data: {
              metadata,
              ...(extras.saveCard ? { setup_future_usage: 'off_session' as const } : {}),
            },
            // A one-off payment gets an invoice too: its hosted page is the receipt (§7).
            invoice_creation: { enabled: true, invoice_data: { metadata } },
          }
        : { subscription_data: { metadata } }),
      ...(extras.customer ? { customer: extras.customer } : {}),
    };
    const session = await this.client.checkout.sessions.create(params, {
      idempotencyKey: `easel-checkout-${row.id}`,
    });
    const s = readStripe(CreatedSession, session, 'checkout session');
    return { id: s.id, url: s.url, expiresAt: new Date(s.expires_at * 1000).toISOString() };
  }

  /** Verifies the signature over the raw body and its age (against our clock), then parses it. */
  verify(rawBody: Buffer, signature: string, nowMs: number): unknown {
    return this.client.webhooks.constructEvent(
      rawBody,
      signature,
      this.settings.webhookSecret,
      this.settings.webhookToleranceSeconds ?? 300,
      undefined,
      nowMs,
    );
  }

  /** The payment intent that paid an invoice (the invoice object does not carry it). */
  async invoicePaymentIntent(invoiceId: string): Promise<string | null> {
    const list = await this.client.invoicePayments.list({ invoice: invoiceId, limit: 10 });
    for (const raw of list.data) {
      const p = readStripe(StripeInvoicePayment, raw, 'invoice payment');
      if (p.status === 'paid' && p.payment.payment_intent) return p.payment.payment_intent;
    }
    return null;
  }

  async chargePaymentIntent(chargeId: string): Promise<string | null> {
    const charge = readStripe(StripeCharge, await this.client.charges.retrieve(chargeId), 'charge');
    return charge.payment_intent;
  }

  /** Payments made since `sinceMs`, with their refunds and disputes, for reconciliation. */
  async listPayments(sinceMs: number): Promise<ProviderPayment[]> {
    const created = { gte: Math.floor(sinceMs / 1000) };
    const byIntent = new Map<string, StripeCharge>();
    for await (const raw of this.client.charges.list({ created, limit: 100 })) {
      const c = readStripe(StripeCharge, raw, 'charge');
      if (c.payment_intent) byIntent.set(c.payment_intent, c);
    }
    const refundOf = (intent: string | null): Pick<ProviderPayment, 'refunded' | 'disputed'> => {
      const c = intent ? byIntent.get(intent) : undefined;
      return {
        refunded: !c ? 'none' : c.refunded ? 'full' : c.amount_refunded > 0 ? 'partial' : 'none',
        disputed: c?.disputed ?? false,
      };
    };
    const out: ProviderPayment[] = [];
    for await (const raw of this.client.checkout.sessions.list({ created, limit: 100 })) {
      const s = readStripe(StripeSession, raw, 'checkout session');
      const checkoutId = s.client_reference_id ?? s.metadata.checkoutId ?? null;
      // Only Easel's sessions: the Stripe account may sell other things too.
      if (!isOurs(checkoutId) || s.mode !== 'payment' || s.payment_status !== 'paid') continue;
      const intent = s.payment_intent ?? null;
      out.push({
        provider: 'stripe',
        purchaseId: `stripe:${s.id}`,
        paymentRef: intent,
        itemId: s.metadata.itemId ?? null,
        accountId: s.metadata.accountId ?? null,
        checkoutId,
        amountCents: s.amount_total ?? 0,
        currency: s.currency ?? '',
        paidAt: new Date(s.created * 1000).toISOString(),
        ...refundOf(intent),
      });
    }
    const intentOfInvoice = new Map<string, string>();
    for await (const raw of this.client.invoicePayments.list({ created, limit: 100 })) {
      const p = readStripe(StripeInvoicePayment, raw, 'invoice payment');
      if (p.status === 'paid' && p.payment.payment_intent)
        intentOfInvoice.set(p.invoice, p.payment.payment_intent);
    }
    for await (const raw of this.client.invoices.list({ created, status: 'paid', limit: 100 })) {
      const inv = readStripe(StripeInvoice, raw, 'invoice');
      const details = inv.parent?.subscription_details;
      if (!details || !isOurs(details.metadata.checkoutId ?? null)) continue;
      const intent = intentOfInvoice.get(inv.id) ?? null;
      out.push({
        provider: 'stripe',
        // An upgrade's prorated invoice is credited as `<invoice>:upgrade` (plan-fulfilment.ts).
        purchaseId:
          inv.billing_reason === 'subscription_update'
            ? `stripe:${inv.id}:upgrade`
            : `stripe:${inv.id}`,
        paymentRef: intent,
        itemId: details.metadata.planId ?? details.metadata.itemId ?? null,
        accountId: details.metadata.accountId ?? null,
        checkoutId: details.metadata.checkoutId ?? null,
        amountCents: inv.amount_paid,
        currency: inv.currency,
        paidAt: new Date(inv.created * 1000).toISOString(),
        ...refundOf(intent),
      });
    }
    return out;
  }
}
