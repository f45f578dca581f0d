import { z } from 'zod';
import { Id, Timestamp } from '../ledger/primitives';
import { PaymentProviderName } from './purchases';

/** A refund or dispute that took back (part of) a purchase's credits. */
const PurchaseReversal = z.strictObject({
  reason: z.enum(['refunded', 'disputed']),
  /** What the provider says was refunded or disputed (null: not said, the whole payment). */
  amountCents: z.int().min(0).nullable(),
  at: Timestamp,
});

/**
 * One credited purchase (docs/architecture.md §7, receipts): a pack, a month of a plan or an
 * auto top-up, with its receipt and any refund or dispute.
 */
export const PurchaseRecord = z.strictObject({
  purchaseId: Id,
  provider: PaymentProviderName,
  itemId: Id,
  title: z.string(),
  itemType: z.enum(['pack', 'plan']),
  /** How it was bought: at a checkout, a plan's renewal, or an auto top-up. */
  via: z.enum(['checkout', 'renewal', 'auto-topup']),
  priceCents: z.int().min(0),
  currency: z.string(),
  /** Credits granted, bonus included. */
  credits: z.int().min(0),
  creditedAt: Timestamp,
  /** Seq of the purchase entry in the ledger. */
  seq: z.int().min(1),
  /** The provider's receipt or invoice (Stripe), or the sandbox's receipt page; null if none yet. */
  receiptUrl: z.string().url().nullable(),
  reversals: z.array(PurchaseReversal),
});
export type PurchaseRecord = z.infer<typeof PurchaseRecord>;

export const PurchaseListResponse = z.strictObject({
  /** Newest first. */
  purchases: z.array(PurchaseRecord),
});
export type PurchaseListResponse = z.infer<typeof PurchaseListResponse>;
