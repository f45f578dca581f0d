import { date } from '../util/format';
import type { Activity } from './activities';
import type { LooseBody, LoosePurpose } from './rows';

/**
 * History's words for operator entries (docs/architecture.md §2, operator controls): what
 * support did, the reason they gave and who they are, all read from the signed entry.
 */
type Facts = Pick<Activity, 'kind' | 'title' | 'detail' | 'status' | 'ref'>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** "Ticket 42 — Ada Ops": the reason first, since that is what the user wants to know. */
function why(reason: string, operator: string): string {
  return [reason, operator && `by ${operator}`].filter(Boolean).join(' — ');
}

export function operatorGrantFacts(b: LooseBody, titles: Record<string, string>): Facts {
  const source = str(b.bucket?.source);
  const starts = str(b.bucket?.effectiveAt);
  const expires = str(b.bucket?.expiresAt);
  const title =
    source === 'adjustment' ? 'Credits from support' : (titles[source] ?? 'Credits added');
  // A future start: the credits are listed now but spendable only from then (said in the
  // title, which the row never cuts short before the detail).
  const later = starts && b.at && starts > b.at ? `, starting ${date(starts)}` : '';
  return {
    kind: source === 'promo' ? 'promo' : source === 'adjustment' ? 'adjustment' : 'free',
    title: `${title}${later}`,
    detail: [
      why(str(b.reason), str(b.operator)),
      expires ? `Expires ${date(expires)}` : 'Never expires',
    ].join(' · '),
    status: 'credited',
    ref: '',
  };
}

export function expiryAdjustmentFacts(b: LooseBody): Facts {
  const now = b.expiresAt ?? null;
  const was = b.previousExpiresAt ?? null;
  const later = now === null || (was !== null && now > was);
  const until = now === null ? 'no expiry' : `until ${date(now)}`;
  return {
    kind: 'adjustment',
    title: later ? `More time from support: ${until}` : `Expiry brought forward: ${until}`,
    detail: [
      why(str(b.reason), str(b.operator)),
      `was ${was === null ? 'no expiry' : date(was)}`,
    ].join(' · '),
    status: 'adjusted',
    ref: str(b.bucketId),
  };
}

export function revokeFacts(p: LoosePurpose): Facts {
  return {
    kind: p.operator ? 'adjustment' : 'other',
    title: 'Credits taken back by support',
    detail: why(str(p.reason), str(p.operator)),
    status: 'charged',
    ref: '',
  };
}
