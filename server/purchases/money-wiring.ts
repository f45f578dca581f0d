import { z } from 'zod';
import type { Services } from '../services';
import type { AutoTopups } from './auto-topup';
import type { Checkouts } from './checkouts';
import { customerStore } from './customers';
import { receiptStore } from './receipts';
import type { StripeGateway } from './stripe-gateway';
import {
  StripePaymentIntent,
  chargeReceiptUrl,
  createCustomer,
  invoiceUrl,
  savedPaymentMethod,
} from './stripe-money';
import { StripeId, readStripe } from './stripe-objects';
import type { StripeWebhook } from './stripe-webhook';

const Ref = z
  .union([StripeId, z.object({ id: StripeId })])
  .transform((v) => (typeof v === 'string' ? v : v.id));
const CompletedSession = z.object({
  id: StripeId,
  mode: z.string(),
  customer: Ref.nullish(),
  payment_intent: Ref.nullish(),
  invoice: Ref.nullish(),
  metadata: z
    .record(z.string(), z.string())
    .nullish()
    .transform((m) => m ?? {}),
});
const PaidInvoice = z.object({ id: StripeId, hosted_invoice_url: z.string().url().nullish() });

const credited = (outcome: string): boolean =>
  outcome.startsWith('credited') || outcome === 'already-credited';

/**
 * Wires receipts and auto top-up into Stripe (docs/architecture.md §7): each checkout gets the
 * account's customer (and, with auto top-up on, saves the card off session); a credited payment
 * keeps its receipt link; payment intents of top-ups are credited or reported.
 */
export function wireStripeMoney(d: {
  services: Services;
  gateway: StripeGateway;
  webhook: StripeWebhook;
  checkouts: Checkouts;
  autoTopups: AutoTopups;
}): void {
  const { services, gateway } = d;
  const db = services.db;
  const now = () => services.clock.now();

  d.checkouts.sessionExtras = async (row) => {
    let customer = (await customerStore.get(db, row.account_id, 'stripe'))?.customer_ref;
    if (!customer) {
      const made = await createCustomer(
        gateway,
        row.account_id,
        await customerStore.email(db, row.account_id),
      );
      customer = await customerStore.ensure(db, {
        accountId: row.account_id,
        provider: 'stripe',
        customerRef: made,
        now: now(),
      });
    }
    const { rows } = await db.query<{ enabled: boolean }>(
      'select enabled from auto_topup_settings where account_id = $1',
      [row.account_id],
    );
    return { customer, saveCard: rows[0]?.enabled === true };
  };

  d.webhook.handlers.set('payment_intent.succeeded', (o) =>
    d.autoTopups.paymentSucceeded(readStripe(StripePaymentIntent, o, 'payment intent')),
  );
  d.webhook.handlers.set('payment_intent.payment_failed', (o) =>
    d.autoTopups.paymentFailed(readStripe(StripePaymentIntent, o, 'payment intent')),
  );

  d.webhook.listeners.push(async (type, object, outcome) => {
    if (!credited(outcome)) return;
    if (type === 'invoice.paid') {
      const inv = readStripe(PaidInvoice, object, 'invoice');
      const purchaseId = `stripe:${inv.id}`;
      const f = await db.query<{ account_id: string }>(
        'select account_id from purchase_fulfilments where purchase_id = $1',
        [purchaseId],
      );
      const accountId = f.rows[0]?.account_id;
      const url = inv.hosted_invoice_url ?? (await invoiceUrl(gateway, inv.id));
      if (accountId && url)
        await receiptStore.record(db, {
          purchaseId,
          accountId,
          provider: 'stripe',
          url,
          pageKey: null,
          now: now(),
        });
      return;
    }
    if (
      type !== 'checkout.session.completed' &&
      type !== 'checkout.session.async_payment_succeeded'
    )
      return;
    const s = readStripe(CompletedSession, object, 'checkout session');
    if (s.mode !== 'payment') return;
    const purchaseId = `stripe:${s.id}`;
    const f = await db.query<{ account_id: string }>(
      'select account_id from purchase_fulfilments where purchase_id = $1',
      [purchaseId],
    );
    const accountId = f.rows[0]?.account_id;
    if (!accountId) return;
    if (!(await receiptStore.has(db, purchaseId))) {
      const url = s.invoice
        ? await invoiceUrl(gateway, s.invoice)
        : s.payment_intent
          ? await chargeReceiptUrl(gateway, s.payment_intent)
          : null;
      if (url)
        await receiptStore.record(db, {
          purchaseId,
          accountId,
          provider: 'stripe',
          url,
          pageKey: null,
          now: now(),
        });
    }
    if (s.metadata.saveCard === 'off_session' && s.customer && s.payment_intent) {
      const card = await savedPaymentMethod(gateway, s.payment_intent);
      if (card)
        await customerStore.savePaymentMethod(db, {
          accountId,
          provider: 'stripe',
          customerRef: s.customer,
          ref: card.ref,
          label: card.label,
          now: now(),
        });
    }
  });
}
