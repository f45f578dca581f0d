import { z } from 'zod';
import { Id, Timestamp } from '../ledger/primitives';

/**
 * Auto top-up (docs/architecture.md §7): opt-in; when the available image balance falls below
 * `threshold`, the pack `itemId` is bought with the saved payment method, at most
 * `monthlyCapCents` each UTC month, once per crossing.
 */
export const SetAutoTopupRequest = z.strictObject({
  enabled: z.boolean(),
  threshold: z.int().min(1).max(10_000_000),
  itemId: Id,
  monthlyCapCents: z.int().min(1).max(100_000_000),
});
export type SetAutoTopupRequest = z.infer<typeof SetAutoTopupRequest>;

export const AutoTopupStatus = z.enum([
  /** Made; the payment is being asked for. */
  'pending',
  /** The provider took the payment; the credits follow its confirmation. */
  'processing',
  'succeeded',
  /** The bank asks the user to confirm the payment: nothing was charged. */
  'action-required',
  'failed',
  /** The monthly cap would have been passed: no payment was asked for. */
  'capped',
]);
export type AutoTopupStatus = z.infer<typeof AutoTopupStatus>;

export const AutoTopupAttempt = z.strictObject({
  topupId: Id,
  itemId: Id,
  amountCents: z.int().min(0),
  currency: z.string(),
  status: AutoTopupStatus,
  /** Why it failed, was capped or needs the user, as a sentence. */
  message: z.string().nullable(),
  at: Timestamp,
});
export type AutoTopupAttempt = z.infer<typeof AutoTopupAttempt>;

export const AutoTopupResponse = z.strictObject({
  /** null: never set up. */
  settings: SetAutoTopupRequest.nullable(),
  /** The card saved for payments made without the user (null: none yet; buy a pack to save one). */
  paymentMethod: z.strictObject({ label: z.string() }).nullable(),
  /** Top-ups charged or on their way this UTC month. */
  spentThisMonthCents: z.int().min(0),
  resetsAt: Timestamp,
  /** The latest attempts, newest first. */
  recent: z.array(AutoTopupAttempt),
});
export type AutoTopupResponse = z.infer<typeof AutoTopupResponse>;
