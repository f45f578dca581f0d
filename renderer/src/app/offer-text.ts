import type { SignUpOffer } from '../../../shared/ipc/types';
import { creditsText, date } from '../util/format';

const DAY_MS = 86_400_000;

/**
 * What sign-up grants, in words, from the server's offer: "50 credits to start, valid for 30
 * days, and 20 free credits on each day you use Easel (they end at midnight UTC)."
 */
export function offerText(offer: SignUpOffer, from = new Date()): string {
  const parts: string[] = [];
  if (offer.welcome) {
    const until = date(
      new Date(from.getTime() + offer.welcome.expiresInDays * DAY_MS).toISOString(),
    );
    parts.push(
      `${creditsText(offer.welcome.credits)} to start, valid for ${offer.welcome.expiresInDays} days (until ${until})`,
    );
  }
  if (offer.dailyCredits > 0)
    parts.push(
      `${creditsText(offer.dailyCredits)} free on each day you use Easel (they end at midnight UTC)`,
    );
  if (offer.monthly)
    parts.push(
      `${creditsText(offer.monthly.credits)} free each month you use Easel (each month's valid for ${offer.monthly.expiresInDays} days)`,
    );
  return parts.length === 0 ? '' : `${parts.join(', and ')}.`;
}
