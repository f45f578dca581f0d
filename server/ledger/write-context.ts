import type { EntryDraft, LedgerEntry } from '../../shared/ledger/entry';
import type { WalletFold } from '../../shared/wallet/fold';
import type { WalletState } from '../../shared/wallet/types';
import type { Sql } from '../db/database';
import type { TeamBookPart } from '../teams/book-ops';
import type { Limits } from './spending-limits';

/** What a write callback sees: the wallet under the account lock, and a way to append. */
export interface WriteContext {
  readonly accountId: string;
  /** True under the account's row lock (`tx` works); false on the unlocked path (§2). */
  readonly locked: boolean;
  /** The hash of the head this write is computed from (checked again when it is stored). */
  readonly headHash: string;
  readonly now: string;
  readonly plan: string;
  readonly tx: Sql;
  /**
   * For reads whose answer the account's head vouches for, or that need no lock (a hold's
   * owner, the spending limits): the transaction on the locked path, the database otherwise.
   */
  readonly read: Sql;
  /** The account's spending limits (read once a write; checked again when it is stored). */
  spendingLimits(): Promise<Limits>;
  readonly fold: WalletFold;
  state(): WalletState;
  append(draft: EntryDraft): LedgerEntry;
  /** What this write has appended so far (not yet stored). */
  appended(): readonly LedgerEntry[];
  setTimer(refId: string, dueAt: string): void;
  clearTimer(refId: string): void;
  /**
   * A team write's bookkeeping, stored by `ledger_append` with the entries (docs/architecture.md
   * §14); its ops may still grow until the callback returns.
   */
  storeWith(part: TeamBookPart): void;
  /** Runs once the write has committed, with the account's new head hash. */
  afterCommit(then: (headHash: string) => void): void;
}

export interface WriteResult<T> {
  status: number;
  body: T;
  replayed: boolean;
}

/**
 * Runs inside every ledger write that appended entries, before the commit; sees what was
 * available per credit kind before the write. What it returns runs once the write has committed
 * (docs/architecture.md §7, auto top-up). On the unlocked path (§2) `ctx.tx` refuses every
 * statement: a hook that must write through it makes the write run again under the lock, so it
 * should look first through `ctx.read` and use `ctx.tx` only when it has something to write.
 */
export type WriteHook = (
  ctx: WriteContext,
  availableBefore: Readonly<Record<string, number>>,
) => Promise<(() => void) | undefined>;
