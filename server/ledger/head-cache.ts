import type { AccountHead } from './ledger-store';
import { RecentMap } from './recent-map';
import type { Limits } from './spending-limits';

/** An account's head, and its spending limits when a write of this instance read them. */
export interface KnownHead extends AccountHead {
  limits?: Limits | undefined;
}

/**
 * The head each account had after this instance's last write to it (docs/architecture.md §9):
 * what a write is computed from without reading the head first. Only a guess: `ledger_append`
 * refuses the write as stale when the account's head has moved (another instance, a plan
 * change) or the limits it used changed, and the write then runs again under the row lock. Bounded, least recently used out.
 */
export class HeadCache extends RecentMap<KnownHead> {}
