import type { Sql } from '../db/database';
import { HttpError } from '../http/errors';
import type { WriteContext } from '../ledger/ledger-service';

/**
 * Team budgets (docs/architecture.md §14): a monthly limit per member and per project. What a
 * hold or allowance takes is charged to its member and project for the UTC month it was made in
 * (`team_charges`), and summed per period and subject (`team_budget_usage`); both change only
 * inside the team wallet's ledger write, under the team account's row lock, so members spending
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

/** Adds `delta` to the use of each subject in one period (one statement for all of them). */
async function addUsage(
  tx: Sql,
  teamId: string,
  period: string,
  subjects: Array<[BudgetScope, string]>,
  delta: number,
): Promise<void> {
  if (delta === 0 || subjects.length === 0) return;
  await tx.query(
    `insert into team_budget_usage (team_id, period, scope, subject_id, used)
       select $1, $2, s.scope, s.subject_id, $5 from unnest($3::text[], $4::text[]) as s(scope, subject_id)
     on conflict (team_id, period, scope, subject_id) do update set used = team_budget_usage.used + $5`,
    [teamId, period, subjects.map((x) => x[0]), subjects.map((x) => x[1]), delta],
  );
}

export interface Charge {
  refId: string;
  memberId: string;
  projectId: string | null;
}

interface ChargeRow {
  ref_id: string;
  member_id: string;
  project_id: string | null;
  period: string;
  charged: number;
}

async function changeUsage(tx: Sql, teamId: string, row: ChargeRow, delta: number) {
  const subjects: Array<[BudgetScope, string]> = [['member', row.member_id]];
  if (row.project_id !== null) subjects.push(['project', row.project_id]);
  await addUsage(tx, teamId, row.period, subjects, delta);
}

/** Charges a new hold or allowance of `amount` to its member and project for this month. */
export async function recordCharge(
  ctx: WriteContext,
  teamId: string,
  charge: Charge,
  amount: number,
): Promise<void> {
  const row: ChargeRow = {
    ref_id: charge.refId,
    member_id: charge.memberId,
    project_id: charge.projectId,
    period: periodOf(ctx.now),
    charged: amount,
  };
  await ctx.tx.query(
    'insert into team_charges (team_id, ref_id, member_id, project_id, period, charged, open) values ($1, $2, $3, $4, $5, $6, true)',
    [teamId, row.ref_id, row.member_id, row.project_id, row.period, row.charged],
  );
  await changeUsage(ctx.tx, teamId, row, amount);
}

/** The charge of an open hold or allowance on the team wallet, or null. */
export async function openCharge(
  tx: Sql,
  teamId: string,
  refId: string,
): Promise<(Charge & { charged: number }) | null> {
  const { rows } = await tx.query<ChargeRow>(
    'select ref_id, member_id, project_id, period, charged from team_charges where team_id = $1 and ref_id = $2 and open',
    [teamId, refId],
  );
  const row = rows[0];
  return row
    ? {
        refId: row.ref_id,
        memberId: row.member_id,
        projectId: row.project_id,
        charged: row.charged,
      }
    : null;
}

/** Closes a charge at what it finally took (a capture's amount, 0 when released). */
export async function settleCharge(
  tx: Sql,
  teamId: string,
  refId: string,
  final: number,
): Promise<void> {
  const { rows } = await tx.query<ChargeRow>(
    'update team_charges set open = false where team_id = $1 and ref_id = $2 and open returning ref_id, member_id, project_id, period, charged',
    [teamId, refId],
  );
  const row = rows[0];
  if (!row) return;
  await tx.query('update team_charges set charged = $3 where team_id = $1 and ref_id = $2', [
    teamId,
    refId,
    final,
  ]);
  await changeUsage(tx, teamId, row, final - row.charged);
}

/**
 * Closes the charges of holds and allowances the ledger resolved on its own — expired by time
 * (`LedgerService.materialise`, the sweep) or returned and settled through the allowance
 * routes — at what they finally took. Run at the start of every team wallet write.
 */
export async function reconcileCharges(ctx: WriteContext, teamId: string): Promise<void> {
  const { rows } = await ctx.tx.query<{ ref_id: string }>(
    'select ref_id from team_charges where team_id = $1 and open',
    [teamId],
  );
  for (const { ref_id: refId } of rows) {
    const hold = ctx.fold.hold(refId);
    const reserve = hold ? undefined : ctx.fold.reserve(refId);
    if (hold?.status === 'open' || reserve?.status === 'open') continue;
    // A resolved hold took what was captured; a closed allowance what was settled; one the
    // fold has forgotten (a day after expiry) was resolved long ago by expiry: nothing.
    const final = hold ? (hold.status === 'captured' ? hold.captured : 0) : (reserve?.settled ?? 0);
    await settleCharge(ctx.tx, teamId, refId, final);
  }
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

/** Refuses (403 `team-budget`) a hold that would pass the member's or the project's budget. */
export async function enforceBudgets(
  ctx: WriteContext,
  teamId: string,
  charge: Omit<Charge, 'refId'>,
  amount: number,
): Promise<void> {
  const budgets = await headroom(ctx.tx, teamId, ctx.now, [
    ['member', charge.memberId],
    ['project', charge.projectId],
  ]);
  for (const b of budgets) if (amount > b.left) throw budgetRefusal(b, amount, ctx.now);
}

/**
 * Gives a refunded image's credits back to the budgets its run was charged to: the charge of
 * `refId` (the run's hold) is lowered by `amount`, in the month it was charged in — a refund made
 * next month lowers last month's use, never this month's, so a budget can't be stretched by
 * refunding old runs (docs/architecture.md §14). Runs inside the team wallet's write.
 */
export async function refundCharge(
  tx: Sql,
  teamId: string,
  refId: string,
  amount: number,
): Promise<void> {
  const { rows } = await tx.query<ChargeRow>(
    'select ref_id, member_id, project_id, period, charged from team_charges where team_id = $1 and ref_id = $2 and not open',
    [teamId, refId],
  );
  const row = rows[0];
  if (!row) return;
  const lowered = Math.min(amount, row.charged);
  if (lowered <= 0) return;
  await tx.query(
    'update team_charges set charged = charged - $3 where team_id = $1 and ref_id = $2',
    [teamId, refId, lowered],
  );
  await changeUsage(tx, teamId, row, -lowered);
}
