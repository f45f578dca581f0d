import Stripe from 'stripe';
import { z } from 'zod';
import { CheckoutId } from '../../shared/api/purchases';
import type { ProviderPayment } from './provider-payment';
import type { StripeGateway } from './stripe-gateway';
import { StripeId, readStripe } from './stripe-objects';

/**
 * What receipts and auto top-up ask of Stripe (docs/architecture.md §7): a customer per account,
 * the link of an invoice or charge receipt, the card a checkout saved, and the off-session
 * payment of a top-up. Every object read is checked with zod, as in stripe-objects.ts.
 */
const Customer = z.object({ id: StripeId });
const Invoice = z.object({ id: StripeId, hosted_invoice_url: z.string().url().nullish() });
const Charge = z.object({ id: StripeId, receipt_url: z.string().url().nullish() });
const Card = z.object({ brand: z.string(), last4: z.string() });
const PaymentMethod = z.object({ id: StripeId, card: Card.nullish() });
const Ref = z
  .union([StripeId, z.object({ id: StripeId })])
  .transform((v) => (typeof v === 'string' ? v : v.id));

export const StripePaymentIntent = z.object({
  id: StripeId,
  status: z.string(),
  amount: z.int(),
  amount_received: z.int().optional(),
  currency: z.string(),
  customer: Ref.nullish(),
  payment_method: Ref.nullish(),
  latest_charge: Ref.nullish(),
  metadata: z
    .record(z.string(), z.string())
    .nullish()
    .transform((m) => m ?? {}),
  last_payment_error: z
    .object({ code: z.string().nullish(), message: z.string().nullish() })
    .nullish(),
});
export type StripePaymentIntent = z.infer<typeof StripePaymentIntent>;

/** The account's Stripe customer, made once (the account id keys the idempotent create). */
export async function createCustomer(
  gateway: StripeGateway,
  accountId: string,
  email: string,
): Promise<string> {
  const created = await gateway.client.customers.create(
    { email, metadata: { accountId } },
    { idempotencyKey: `easel-customer-${accountId}` },
  );
  return readStripe(Customer, created, 'customer').id;
}

/** The hosted page of the invoice Checkout made for a one-off payment (or a plan month's). */
export async function invoiceUrl(
  gateway: StripeGateway,
  invoiceId: string,
): Promise<string | null> {
  const inv = readStripe(Invoice, await gateway.client.invoices.retrieve(invoiceId), 'invoice');
  return inv.hosted_invoice_url ?? null;
}

/** The receipt of the charge that paid a payment intent. */
export async function chargeReceiptUrl(
  gateway: StripeGateway,
  paymentIntentId: string,
): Promise<string | null> {
  const pi = readStripe(
    StripePaymentIntent,
    await gateway.client.paymentIntents.retrieve(paymentIntentId),
    'payment intent',
  );
  if (!pi.latest_charge) return null;
  const charge = readStripe(
    Charge,
    await gateway.client.charges.retrieve(pi.latest_charge),
    'charge',
  );
  return charge.receipt_url ?? null;
}

/** The card a checkout's payment saved for off-session use (setup_future_usage), with a label. */
export async function savedPaymentMethod(
  gateway: StripeGateway,
  paymentIntentId: string,
): Promise<{ ref: string; label: string } | null> {
  const pi = readStripe(
    StripePaymentIntent,
    await gateway.client.paymentIntents.retrieve(paymentIntentId),
    'payment intent',
  );
  if (!pi.payment_method) return null;
  const pm = readStripe(
    PaymentMethod,
    await gateway.client.paymentMethods.retrieve(pi.payment_method),
    'payment method',
  );
  const label = pm.card ? `${pm.card.brand} ending ${pm.card.last4}` : 'saved payment method';
  return { ref: pm.id, label };
}

export type OffSessionOutcome =
  | { kind: 'processing'; paymentIntent: string }
  | { kind: 'action-required'; paymentIntent: string | null; message: string }
  | { kind: 'failed'; paymentIntent: string | null; message: string };

/**
 * Charges a saved card without the user (an auto top-up): confirmed at once, off session, with
 * the top-up's id as idempotency key. The credits follow payment_intent.succeeded (only verified
 * webhooks credit the ledger); a bank that asks for authentication is `action-required`.
 */
export async function chargeOffSession(
  gateway: StripeGateway,
  p: {
    topupId: string;
    customer: string;
    paymentMethod: string;
    amountCents: number;
    currency: string;
    description: string;
    metadata: Record<string, string>;
  },
): Promise<OffSessionOutcome> {
  try {
    const created = await gateway.client.paymentIntents.create(
      {
        amount: p.amountCents,
        currency: p.currency,
        customer: p.customer,
        payment_method: p.paymentMethod,
        off_session: true,
        confirm: true,
        description: p.description,
        metadata: p.metadata,
      },
      { idempotencyKey: `easel-topup-${p.topupId}` },
    );
    const pi = readStripe(StripePaymentIntent, created, 'payment intent');
    if (pi.status === 'requires_action')
      return { kind: 'action-required', paymentIntent: pi.id, message: AUTH_MESSAGE };
    if (pi.status === 'succeeded' || pi.status === 'processing')
      return { kind: 'processing', paymentIntent: pi.id };
    return { kind: 'failed', paymentIntent: pi.id, message: `the payment is ${pi.status}` };
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeCardError)) throw error;
    const intent = error.payment_intent?.id ?? null;
    if (error.code === 'authentication_required')
      return { kind: 'action-required', paymentIntent: intent, message: AUTH_MESSAGE };
    return {
      kind: 'failed',
      paymentIntent: intent,
      message: `the card was declined (${error.decline_code ?? error.code ?? 'declined'})`,
    };
  }
}

export const AUTH_MESSAGE =
  'Your bank asks you to confirm this payment, so nothing was charged: buy the pack in the Store to confirm it.';

const ListedCharge = z.object({
  payment_intent: Ref.nullable(),
  amount_refunded: z.int(),
  refunded: z.boolean(),
  disputed: z.boolean().optional(),
});

/** Auto top-ups Stripe took since `sinceMs`, for reconciliation (they have no Checkout session). */
export async function listTopupPayments(
  gateway: StripeGateway,
  sinceMs: number,
): Promise<ProviderPayment[]> {
  const created = { gte: Math.floor(sinceMs / 1000) };
  const charges = new Map<string, z.infer<typeof ListedCharge>>();
  for await (const raw of gateway.client.charges.list({ created, limit: 100 })) {
    const c = readStripe(ListedCharge, raw, 'charge');
    if (c.payment_intent) charges.set(c.payment_intent, c);
  }
  const out: ProviderPayment[] = [];
  for await (const raw of gateway.client.paymentIntents.list({ created, limit: 100 })) {
    const pi = readStripe(StripePaymentIntent.extend({ created: z.int() }), raw, 'payment intent');
    const checkoutId = pi.metadata.checkoutId ?? null;
    if (!pi.metadata.autoTopupId || !checkoutId || !CheckoutId.safeParse(checkoutId).success)
      continue;
    if (pi.status !== 'succeeded') continue;
    const c = charges.get(pi.id);
    out.push({
      provider: 'stripe',
      purchaseId: `stripe:${pi.id}`,
      paymentRef: pi.id,
      itemId: pi.metadata.itemId ?? null,
      accountId: pi.metadata.accountId ?? null,
      checkoutId,
      amountCents: pi.amount_received ?? pi.amount,
      currency: pi.currency,
      paidAt: new Date(pi.created * 1000).toISOString(),
      refunded: !c ? 'none' : c.refunded ? 'full' : c.amount_refunded > 0 ? 'partial' : 'none',
      disputed: c?.disputed ?? false,
    });
  }
  return out;
}
