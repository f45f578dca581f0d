import type { BucketView } from '../../../shared/wallet/types';
import { credits, date, duration } from '../util/format';

/** What each bucket source is called on screen (never the raw "daily/signup"). */
export const SOURCE_WORDS: Record<string, string> = {
  daily: 'Daily credits',
  signup: 'Welcome credits',
  bonus: 'Bonus credits',
  promo: 'Promotional credits',
  pack: 'Pack credits',
  plan: 'Plan credits',
  refund: 'Refunded credits',
  adjustment: 'Adjusted credits',
  monthly: 'Monthly free credits',
  rollover: 'Rolled-over credits',
};

const lower = (source: string): string =>
  (SOURCE_WORDS[source] ?? 'Other credits').replace(/^\w/, (c) => c.toLowerCase());

/** The next 00:00 UTC after `now`, when daily credits reset. */
export function nextUtcMidnight(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/**
 * The balance explained in plain sentences, one per source: "20 daily credits reset at 00:00 UTC
 * (in 4 h 12 min).", "50 welcome credits expire on Dec 31, 2026." Buckets with nothing left are
 * not mentioned.
 */
export function explainBalance(buckets: readonly BucketView[], now: number): string[] {
  const bySource = new Map<string, BucketView[]>();
  for (const b of buckets) {
    if (!b.live || b.remaining <= 0) continue;
    const list = bySource.get(b.source) ?? [];
    list.push(b);
    bySource.set(b.source, list);
  }
  const order = ['daily', 'signup', 'bonus', 'promo', 'plan', 'pack', 'refund', 'adjustment'];
  const sources = [...bySource.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const lines: string[] = [];
  for (const source of sources) {
    const list = bySource.get(source) ?? [];
    const total = list.reduce((t, b) => t + b.remaining, 0);
    const what = `${credits(total)} ${lower(source)}`;
    if (source === 'daily') {
      lines.push(
        `${what} — they reset at 00:00 UTC (in ${duration(nextUtcMidnight(now) - now)}), unused ones do not carry over.`,
      );
      continue;
    }
    const dated = list
      .filter((b) => b.expiresAt)
      .sort((a, b) => (a.expiresAt ?? '').localeCompare(b.expiresAt ?? ''));
    const never = total - dated.reduce((t, b) => t + b.remaining, 0);
    const first = dated[0];
    if (!first) lines.push(`${what} never expire.`);
    else if (dated.length === 1 && never === 0)
      lines.push(`${what} expire on ${date(first.expiresAt ?? '')}.`);
    else
      lines.push(
        `${what}: the first ${credits(first.remaining)} expire on ${date(first.expiresAt ?? '')}${never > 0 ? `, ${credits(never)} never expire` : ''}.`,
      );
  }
  return lines;
}

/** Buckets whose credits expire within `windowMs` of now, the boundary included. */
export function expiringWithin(
  buckets: readonly BucketView[],
  now: number,
  windowMs: number,
): BucketView[] {
  return buckets.filter(
    (b) =>
      b.live &&
      b.expiresAt !== null &&
      b.remaining - b.held > 0 &&
      Date.parse(b.expiresAt) - now <= windowMs,
  );
}
