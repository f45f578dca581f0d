import type { TeamRole } from '../../shared/api/teams';
import type { BudgetScope } from './budgets';

/**
 * One step of a team wallet write's bookkeeping, as the database function `team_book` applies
 * it (server/db/migrations/018-team-book.ts, docs/architecture.md §14). Checks restate what an
 * unlocked write assumed and make the write stale when it no longer holds; the rest change the
 * budget charges and their monthly use.
 */
export type TeamBookOp =
  | { k: 'member'; account: string; role: TeamRole }
  | { k: 'project'; id: string }
  | { k: 'budget'; scope: BudgetScope; subject: string; period: string; amount: number }
  | {
      k: 'charge';
      ref: string;
      member: string;
      project: string | null;
      period: string;
      amount: number;
    }
  | { k: 'close'; ref: string; final: number }
  | { k: 'refund'; ref: string; amount: number };

/** A team write's bookkeeping, stored with its ledger entries. */
export interface TeamBookPart {
  team: string;
  ops: TeamBookOp[];
}
