import { z } from 'zod';
import { CreditKind } from '../ledger/primitives';
import { OperationId } from './common';

/** A promo code as people type it: letters, digits and dashes; case and spaces do not matter. */
export const PromoCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9-]{4,32}$/, 'a promo code is 4 to 32 letters, digits or dashes');

export const RedeemPromoRequest = z.strictObject({ operationId: OperationId, code: PromoCode });

/** What a redeemed code granted: a signed `grant` entry with a `promo` bucket. */
export const RedeemPromoResponse = z.strictObject({
  code: z.string(),
  credits: z.int().min(1),
  kind: CreditKind,
  seq: z.int().min(1),
  /** When the granted credits expire; null: never. */
  expiresAt: z.string().nullable(),
});
export type RedeemPromoResponse = z.infer<typeof RedeemPromoResponse>;

/** An operator's new code (admin CLI `create-promo`). */
export const NewPromoCode = z.strictObject({
  code: PromoCode,
  credits: z.int().min(1).max(1_000_000),
  kind: CreditKind.default('image'),
  /** The last moment the code may be redeemed; null: no end. */
  redeemBy: z.iso.datetime().nullable(),
  maxRedemptions: z.int().min(1).max(10_000_000),
  /** How long the granted credits last after redemption; null: they never expire. */
  validDays: z.int().min(1).max(3650).nullable(),
  /** Who made the code, recorded with it. */
  operator: z.string().trim().min(1).max(120),
});
export type NewPromoCode = z.infer<typeof NewPromoCode>;
