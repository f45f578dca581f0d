import { z } from 'zod';

/** The largest limit a user may set (far above any real spend, far below 2^53). */
const LIMIT_MAX = 10_000_000;

/** A limit in credits, or null for none. */
const Limit = z.int().min(1).max(LIMIT_MAX).nullable();

/**
 * A user's own spending limits (docs/architecture.md §2, spending limits): credits per UTC day
 * and per UTC calendar month, each optional. The daily limit may not exceed the monthly one.
 */
export const SetSpendingLimitsRequest = z
  .strictObject({ daily: Limit, monthly: Limit })
  .refine((l) => l.daily === null || l.monthly === null || l.daily <= l.monthly, {
    message: 'the daily limit cannot be above the monthly limit',
    path: ['daily'],
  });

const PeriodUsage = z.strictObject({
  /** null: no limit set for this period. */
  limit: z.int().min(1).nullable(),
  /** Credits taken in this period by holds, design spends and offline allowances. */
  used: z.int().min(0),
  /** When the period starts over (00:00 UTC of the next day or month). */
  resetsAt: z.string(),
});

export const SpendingLimitsResponse = z.strictObject({
  daily: PeriodUsage,
  monthly: PeriodUsage,
});
export type SpendingLimitsResponse = z.infer<typeof SpendingLimitsResponse>;
