import type { BucketView } from '../../../shared/wallet/types';
import { credits, date } from '../util/format';
import { SOURCE_WORDS } from './wallet-words';

/**
 * Credits granted with a future start (docs/architecture.md §2, operator controls): not in the
 * balance yet, so the Wallet says when they arrive — "250 adjusted credits become usable on
 * Dec 5, 2026." — soonest first.
 */
export function upcomingCredits(buckets: readonly BucketView[], now: number): string[] {
  const at = new Date(now).toISOString();
  return buckets
    .filter((b) => !b.live && b.remaining > 0 && b.effectiveAt > at)
    .sort((a, b) => a.effectiveAt.localeCompare(b.effectiveAt))
    .map((b) => {
      const what = (SOURCE_WORDS[b.source] ?? 'Other credits').toLowerCase();
      return `${credits(b.remaining)} ${what} become usable on ${date(b.effectiveAt)}.`;
    });
}
