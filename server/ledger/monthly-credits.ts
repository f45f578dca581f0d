import { DAY, plusMs } from '../clock';
import type { WriteContext } from './ledger-service';

/** The UTC calendar month of a timestamp: the period of a free plan's monthly credits. */
export const monthOf = (iso: string): string => iso.slice(0, 7);

/** The start of the UTC month after the one `iso` falls in: when the next monthly grant is due. */
export function startOfNextUtcMonth(iso: string): string {
  const d = new Date(iso);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}

/**
 * A free plan's monthly credits (docs/architecture.md §2, monthly credits): on the account's
 * first write of each UTC month, one `monthly` bucket lasting the plan's days. `lastPeriod`
 * comes from the account row the write has locked, so two instances racing grant once; the
 * bucket and operation ids name the month, so a second grant would also be refused by the fold.
 * Returns the month now checked, which the write stores with the head.
 */
export function grantMonthlyCredits(
  ctx: WriteContext,
  monthly: { credits: number; expiresAfterDays: number } | undefined,
  lastPeriod: string | null,
): string {
  const period = monthOf(ctx.now);
  if (lastPeriod === period || !monthly || monthly.credits <= 0) return period;
  ctx.append({
    type: 'grant',
    operationId: `monthly:${period}`,
    reason: 'free monthly credits',
    bucket: {
      bucketId: `monthly-${period}`,
      kind: 'image',
      source: 'monthly',
      amount: monthly.credits,
      costBasisCents: 0,
      effectiveAt: ctx.now,
      expiresAt: plusMs(ctx.now, monthly.expiresAfterDays * DAY),
      priority: 100,
    },
  });
  return period;
}
