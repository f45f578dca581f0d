import { CheckoutId } from './purchases';
import { TeamInviteLink } from './teams';

/**
 * What an `easel://` link asks of the app (docs/architecture.md §7, §14). A purchase return and
 * `sync` only make it look at the server sooner; a team invite makes it offer to join, and joins
 * only when the user says so.
 */
export type EaselLink =
  | { kind: 'purchase-return'; sessionId: string | null }
  | { kind: 'sync' }
  | { kind: 'team-invite'; token: string };

/**
 * Reads an `easel://` link (the one parser: the server writes them with `purchaseLink` and
 * `teamInviteLink`, the app reads them here). Anything unexpected is null, and a checkout id
 * that is not one of ours is dropped: a purchase link is only a hint. An invite link is read by
 * its strict schema, whole or not at all.
 */
export function parseEaselLink(raw: string): EaselLink | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'easel:') return null;
  const where = `${url.hostname}${url.pathname}`.replace(/\/+$/, '');
  if (where === 'purchase/return' || where === 'purchase') {
    const id = CheckoutId.safeParse(
      url.searchParams.get('session') ?? url.searchParams.get('session_id'),
    );
    return { kind: 'purchase-return', sessionId: id.success ? id.data : null };
  }
  if (where === 'sync') return { kind: 'sync' };
  if (url.hostname === 'team-invite') {
    const invite = TeamInviteLink.safeParse(raw);
    return invite.success ? { kind: 'team-invite', token: invite.data.token } : null;
  }
  return null;
}
