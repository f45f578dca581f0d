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
  const when = [
    // A future start: the credits are listed now but spendable only from then.
    starts && b.at && starts > b.at ? `Spendable from ${date(starts)}` : '',
    expires ? `Expires ${date(expires)}` : 'Never expires',
  ].filter(Boolean);
  return {
    kind: source === 'promo' ? 'promo' : source === 'adjustment' ? 'adjustment' : 'free',
    title: source === 'adjustment' ? 'Credits from support' : (titles[source] ?? 'Credits added'),
    detail: [why(str(b.reason), str(b.operator)), ...when].join(' · '),
    status: 'credited',
    ref: '',
  };
}

export function expiryAdjustmentFacts(b: LooseBody): Facts {
  const now = b.expiresAt ?? null;
  const was = b.previousExpiresAt ?? null;
  const later = now === null || (was !== null && now > was);
  const change = `${now === null ? 'Never expire' : `Expire ${date(now)}`} (was ${
    was === null ? 'never' : date(was)
  })`;
  return {
    kind: 'adjustment',
    title: later
      ? 'Credits given more time by support'
      : 'Credits’ expiry brought forward by support',
    detail: [why(str(b.reason), str(b.operator)), change].join(' · '),
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
