import { z } from 'zod';
import { Id, Timestamp } from '../ledger/primitives';
import { OperationId } from './common';
import { PaymentProviderName } from './purchases';

/** The next credits the account will get on its own: a renewal, a free month or a free day. */
const NextGrant = z.strictObject({
  at: Timestamp,
  credits: z.int().min(0),
  kind: z.enum(['renewal', 'monthly', 'daily']),
});

/**
 * The account's plan as self-service shows it (docs/architecture.md §7, plan self-service), in
 * the Store, the Wallet and Settings.
 */
export const PlanStatus = z.strictObject({
  planId: Id,
  title: z.string(),
  priceCents: z.int().min(0),
  currency: z.string(),
  /** Credits each paid month (a free plan's monthly credits). */
  creditsPerPeriod: z.int().min(0),
  dailyCredits: z.int().min(0),
  /** How many unused credits may roll over at a renewal (0: none). */
  rolloverCap: z.int().min(0),
  /** When the paid period ends: the renewal, or the end of a cancelled plan. Null on a free plan. */
  renewsAt: Timestamp.nullable(),
  nextGrant: NextGrant.nullable(),
  /** The plan ends at `renewsAt` (cancelled, not yet ended); resume undoes it. */
  cancelAtPeriodEnd: z.boolean(),
  /** A downgrade waiting for the renewal. */
  pendingPlanId: Id.nullable(),
  provider: PaymentProviderName.nullable(),
  /** Stripe's customer portal can be opened (`POST /v1/purchases/plan/portal`). */
  portal: z.boolean(),
});
export type PlanStatus = z.infer<typeof PlanStatus>;

export const PlanChangeRequest = z.strictObject({
  operationId: OperationId,
  /** The plan to move to: a dearer one at once, a cheaper one at the renewal. */
  itemId: Id,
});
export type PlanChangeRequest = z.infer<typeof PlanChangeRequest>;

export const PlanActionRequest = z.strictObject({ operationId: OperationId });

export const PlanChangeResponse = z.strictObject({
  /** What happened: upgraded (the difference credited), downgrade scheduled, cancelled, resumed. */
  outcome: z.enum([
    'upgraded',
    'upgrade-pending',
    'downgrade-scheduled',
    'downgrade-undone',
    'cancel-scheduled',
    'resumed',
  ]),
  /** Credits granted at once by an upgrade (0 otherwise). */
  creditsGranted: z.int().min(0),
  plan: PlanStatus,
});
export type PlanChangeResponse = z.infer<typeof PlanChangeResponse>;

export const PortalResponse = z.strictObject({ url: z.string().url() });
