import { z } from 'zod';
import { Id } from '../ledger/primitives';
import { OperationId } from './common';

export const Design = z.strictObject({
  designId: Id,
  title: z.string().min(1).max(120),
  description: z.string().max(2000),
  priceCents: z.int().min(0).max(100_000_000),
  /** Credits at the current price book (100 credits = $1 by default). */
  credits: z.int().min(0),
  /** A small SVG preview, safe to show before redemption. */
  previewSvg: z.string().max(200_000),
  owned: z.boolean(),
});
export type Design = z.infer<typeof Design>;

export const RedeemRequest = z.strictObject({
  operationId: OperationId,
  /** What the user was shown; a different amount or version gets the fresh quote (409). */
  expectedCredits: z.int().min(0),
  priceBookVersion: z.int().min(1),
});
/** A design redeemed online from a team wallet, for a project of the team or none (§14). */
export const TeamRedeemRequest = RedeemRequest.extend({ projectId: Id.nullable() });
export const RedeemResponse = z.strictObject({ designId: Id, seq: z.int(), credits: z.int() });
