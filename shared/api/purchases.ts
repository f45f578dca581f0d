import { z } from 'zod';
import { CreditKind, Id, Timestamp } from '../ledger/primitives';
import { OperationId } from './common';

/** ISO 4217 code in lower case, as Stripe writes it. */
const Currency = z.string().regex(/^[a-z]{3}$/, 'a currency is three lowercase letters');

const itemBase = {
  itemId: Id,
  title: z.string().min(1).max(80),
  description: z.string().max(300).default(''),
  creditKind: CreditKind.default('image'),
  currency: Currency,
  /** Credits expire this many days after they are credited. */
  expiresAfterDays: z.int().min(1).max(3650),
};

/** A one-off pack of credits; `bonusCredits` land in a separate free bucket. */
export const CatalogPack = z.strictObject({
  ...itemBase,
  type: z.literal('pack'),
  credits: z.int().min(1).max(10_000_000),
  bonusCredits: z.int().min(0).max(10_000_000).default(0),
  priceCents: z.int().min(50).max(10_000_000),
});
export type CatalogPack = z.infer<typeof CatalogPack>;

/** A monthly plan. A plan priced 0 (Free) cannot be bought: every account starts on it. */
const CatalogPlan = z.strictObject({
  ...itemBase,
  type: z.literal('plan'),
  interval: z.literal('month'),
  /** Granted on each paid month, in one bucket. */
  monthlyCredits: z.int().min(0).max(10_000_000),
  /** Free credits each day while on the plan. */
  dailyCredits: z.int().min(0).max(100_000).default(0),
  priceCents: z.int().min(0).max(10_000_000),
  /**
   * At each renewal, unused plan credits move into a rollover bucket, so that rollover buckets
   * hold at most this many credits in all (0: nothing rolls over; docs/architecture.md §2).
   */
  rolloverCap: z.int().min(0).max(10_000_000).default(0),
  /** Days a rollover bucket lasts from the renewal that made it. */
  rolloverExpiresAfterDays: z.int().min(1).max(3650).default(60),
});
type CatalogPlan = z.infer<typeof CatalogPlan>;

export const CatalogItem = z.discriminatedUnion('type', [CatalogPack, CatalogPlan]);
export type CatalogItem = z.infer<typeof CatalogItem>;

/** Packs and plans on sale: configuration, validated before the server starts. */
export const Catalog = z
  .strictObject({
    version: z.int().min(1),
    items: z.array(CatalogItem).min(1).max(100),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.items.forEach((item, i) => {
      if (seen.has(item.itemId))
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'itemId'],
          message: `item ${item.itemId} appears twice`,
        });
      seen.add(item.itemId);
      if (item.type === 'plan' && item.priceCents > 0 && item.priceCents < 50)
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'priceCents'],
          message: 'a paid plan costs at least 50 cents',
        });
      if (item.type === 'plan' && item.priceCents > 0 && item.monthlyCredits === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'monthlyCredits'],
          message: 'a paid plan grants credits',
        });
      if (item.type === 'plan' && item.rolloverCap > 0 && item.priceCents === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'rolloverCap'],
          message: 'only a paid plan renews, so only a paid plan rolls credits over',
        });
      // A month lasts up to 31 days and a renewal may come a little late: credits that expired
      // before it could never roll over.
      if (item.type === 'plan' && item.rolloverCap > 0 && item.expiresAfterDays < 32)
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'expiresAfterDays'],
          message: "a plan that rolls credits over keeps each month's credits at least 32 days",
        });
    });
    const free = catalog.items.find((i) => i.itemId === 'free');
    if (!free || free.type !== 'plan' || free.priceCents !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['items'],
        message: 'the catalog needs the plan "free" priced 0: every account starts on it',
      });
  });
export type Catalog = z.infer<typeof Catalog>;

export const PaymentProviderName = z.enum(['stripe', 'sandbox']);
export type PaymentProviderName = z.infer<typeof PaymentProviderName>;

export const CatalogResponse = z.strictObject({
  version: z.int(),
  /** 'sandbox': no real money changes hands (shown as such in the app). */
  provider: PaymentProviderName.nullable(),
  items: z.array(CatalogItem),
});
export type CatalogResponse = z.infer<typeof CatalogResponse>;

/** Our id of a checkout (never the provider's). */
export const CheckoutId = z
  .string()
  .regex(/^chk_[0-9a-f]{32}$/, 'a checkout id looks like chk_ followed by 32 hex digits');

export const CreateCheckoutRequest = z.strictObject({
  /** Makes creation idempotent: the same id answers with the same checkout. */
  operationId: OperationId.optional(),
  itemId: Id,
});
export type CreateCheckoutRequest = z.infer<typeof CreateCheckoutRequest>;

export const CheckoutStatus = z.enum([
  'creating',
  'open',
  'processing',
  'complete',
  'canceled',
  'failed',
  'expired',
  'refused',
]);
export type CheckoutStatus = z.infer<typeof CheckoutStatus>;

export const CreateCheckoutResponse = z.strictObject({
  sessionId: CheckoutId,
  provider: PaymentProviderName,
  /** Open this in the system browser. */
  url: z.string().url(),
  status: CheckoutStatus,
  expiresAt: Timestamp,
});
export type CreateCheckoutResponse = z.infer<typeof CreateCheckoutResponse>;

export const CheckoutStatusResponse = z.strictObject({
  sessionId: CheckoutId,
  provider: PaymentProviderName,
  itemId: Id,
  status: CheckoutStatus,
  /** The ledger purchase it credited (the first month's, for a plan); null until credited. */
  purchaseId: Id.nullable(),
  /** Seq of that purchase entry: sync until the local head reaches it. */
  seq: z.int().min(1).nullable(),
  /** The payment was refunded or disputed and the credits taken back. */
  reversed: z.boolean(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
});
export type CheckoutStatusResponse = z.infer<typeof CheckoutStatusResponse>;

const LINK_PREFIX = 'easel://purchase?session=';

/** The return link the success page offers; to the app it is only a hint to sync. */
export function purchaseLink(sessionId: string): string {
  return `${LINK_PREFIX}${sessionId}`;
}
