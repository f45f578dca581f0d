import type { Sql } from '../db/database';
import { HttpError } from '../http/errors';
import type { WriteContext } from '../ledger/ledger-service';
import type { TeamBookPart } from './book-ops';
import type { WalletFold } from '../../shared/wallet/fold';

/**
 * Team budgets (docs/architecture.md §14): a monthly limit per member and per project. What a
 * hold or allowance takes is charged to its member and project for the UTC month it was made in
 * (`team_charges`), and summed per period and subject (`team_budget_usage`); both change only
 * by `team_book` inside a ledger write of the team wallet, under the team account's row lock
 * (server/teams/team-book.ts), so members spending
 * at once through several instances never pass a budget. A new month is a new period key, so
 * budgets reset without any job.
 */
export type BudgetScope = 'member' | 'project';

export const periodOf = (iso: string): string => iso.slice(0, 7);

export function nextPeriodStart(iso: string): string {
  const d = new Date(`${periodOf(iso)}-01T00:00:00.000Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString();
}

export async function writeBudget(
  sql: Sql,
  teamId: string,
  scope: BudgetScope,
  subjectId: string,
  monthly: number | null,
  now: string,
): Promise<void> {
  await sql.query(
    `insert into team_budgets (team_id, scope, subject_id, monthly, updated_at) values ($1, $2, $3, $4, $5)
     on conflict (team_id, scope, subject_id) do update set monthly = $4, updated_at = $5`,
    [teamId, scope, subjectId, monthly, now],
  );
}

/** Every subject's usage in one period (for the team's settings screen). */
export async function usageByPeriod(
  sql: Sql,
  teamId: string,
  period: string,
): Promise<Map<string, number>> {
  const { rows } = await sql.query<{ scope: string; subject_id: string; used: number }>(
    'select scope, subject_id, used from team_budget_usage where team_id = $1 and period = $2',
    [teamId, period],
  );
  return new Map(rows.map((r) => [`${r.scope}:${r.subject_id}`, Math.max(0, r.used)]));
}

export async function budgetsOf(sql: Sql, teamId: string): Promise<Map<string, number | null>> {
  const { rows } = await sql.query<{ scope: string; subject_id: string; monthly: number | null }>(
    'select scope, subject_id, monthly from team_budgets where team_id = $1',
    [teamId],
  );
  return new Map(rows.map((r) => [`${r.scope}:${r.subject_id}`, r.monthly]));
}

/**
 * The charges a closed hold or allowance still holds open: what the fold says it finally took
 * (a capture's amount, what was settled, 0 when released or forgotten after expiry).
 */
export function resolvedCharges(
  fold: WalletFold,
  openRefs: Iterable<string>,
): Array<{ ref: string; final: number }> {
  const out: Array<{ ref: string; final: number }> = [];
  for (const ref of openRefs) {
    const hold = fold.hold(ref);
    const reserve = hold ? undefined : fold.reserve(ref);
    if (hold?.status === 'open' || reserve?.status === 'open') continue;
    out.push({
      ref,
      final: hold ? (hold.status === 'captured' ? hold.captured : 0) : (reserve?.settled ?? 0),
    });
  }
  return out;
}

/** Applies team bookkeeping at once, in the write's transaction (`team_book`, migration 018). */
export async function applyBook(tx: Sql, part: TeamBookPart): Promise<void> {
  await tx.query('select team_book($1::jsonb)', [JSON.stringify(part)]);
}

/**
 * Closes a charge at what it finally took (a capture's amount, 0 when released), at once: for
 * writes on the team account outside a team write (a Studio run's job, server/jobs/settle.ts).
 * A team write changes charges through its book (server/teams/team-book.ts).
 */
export async function settleCharge(
  tx: Sql,
  teamId: string,
  refId: string,
  final: number,
): Promise<void> {
  await applyBook(tx, { team: teamId, ops: [{ k: 'close', ref: refId, final }] });
}

/**
 * Closes, at once, the charges of holds and allowances the ledger resolved on its own — expired
 * by time (the sweep) or returned and settled through the allowance routes — at what they
 * finally took: for writes on the team account outside a team write (a job's transitions).
 */
export async function reconcileCharges(ctx: WriteContext, teamId: string): Promise<void> {
  const { rows } = await ctx.tx.query<{ ref_id: string }>(
    'select ref_id from team_charges where team_id = $1 and open',
    [teamId],
  );
  const closes = resolvedCharges(
    ctx.fold,
    rows.map((r) => r.ref_id),
  );
  if (closes.length > 0)
    await applyBook(ctx.tx, {
      team: teamId,
      ops: closes.map(({ ref, final }) => ({ k: 'close' as const, ref, final })),
    });
}

const creditsText = (n: number): string => `${n} ${n === 1 ? 'credit' : 'credits'}`;

/**
 * How much more the member and project may take this month (no entry: no budget). One
 * statement: the budgets and this month's use, read under the team account's lock.
 */
export async function headroom(
  tx: Sql,
  teamId: string,
  now: string,
  subjects: Array<[BudgetScope, string | null]>,
): Promise<Array<{ scope: BudgetScope; limit: number; used: number; left: number }>> {
  const wanted = subjects.filter((x): x is [BudgetScope, string] => x[1] !== null);
  if (wanted.length === 0) return [];
  const { rows } = await tx.query<{
    scope: BudgetScope;
    subject_id: string;
    monthly: number | null;
    used: number | null;
  }>(
    `select b.scope, b.subject_id, b.monthly, u.used
       from team_budgets b
       left join team_budget_usage u
         on u.team_id = b.team_id and u.period = $2 and u.scope = b.scope and u.subject_id = b.subject_id
      where b.team_id = $1 and (b.scope, b.subject_id) in (select * from unnest($3::text[], $4::text[]))`,
    [teamId, periodOf(now), wanted.map((x) => x[0]), wanted.map((x) => x[1])],
  );
  const out: Array<{ scope: BudgetScope; limit: number; used: number; left: number }> = [];
  for (const [scope, subjectId] of wanted) {
    const row = rows.find((r) => r.scope === scope && r.subject_id === subjectId);
    if (!row || row.monthly === null) continue;
    const used = Math.max(0, Number(row.used ?? 0));
    out.push({ scope, limit: row.monthly, used, left: Math.max(0, row.monthly - used) });
  }
  return out;
}

export function budgetRefusal(
  b: { scope: BudgetScope; limit: number; used: number },
  requested: number,
  now: string,
): HttpError {
  const resetsAt = nextPeriodStart(now);
  const whose = b.scope === 'member' ? 'Your monthly team budget' : "This project's monthly budget";
  return new HttpError(
    403,
    'team-budget',
    `${whose} is ${creditsText(b.limit)}: ${b.used} used this month, this needs ${requested}. It resets at ${resetsAt.slice(0, 10)} 00:00 UTC.`,
    { scope: b.scope, limit: b.limit, used: b.used, requested, resetsAt },
  );
}
