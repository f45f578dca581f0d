import type { TeamReport } from '../../shared/api/teams';
import type { EntryBody } from '../../shared/ledger/entry';
import type { Sql } from '../db/database';
import { type ReportLine, monthReport, reportRowOf } from '../../shared/wallet/team-report';
import { nextPeriodStart } from './budgets';

/**
 * Cost per project and per member for one UTC month (docs/architecture.md §14), from the team
 * chain's captures (one run each), settles (spent offline from a member's allowance: credits,
 * not runs) and the refunds of that month's runs, folded by `monthReport` — the same fold the app
 * makes from its verified copy of the chain, so the route and the screen agree.
 */
export async function teamReport(
  sql: Sql,
  teamId: string,
  accountId: string,
  month: string,
): Promise<TeamReport> {
  const start = `${month}-01T00:00:00.000Z`;
  // A refund is taken off its run's month, so refunds made after the month count too.
  const { rows } = await sql.query<{ body: string }>(
    `select body from entries where account_id = $1
        and ((type in ('capture', 'settle') and at >= $2 and at < $3) or (type = 'refund' and at >= $2))
      order by seq`,
    [accountId, start, nextPeriodStart(start)],
  );
  const report = monthReport(
    rows.flatMap(({ body }) => reportRowOf(JSON.parse(body) as EntryBody) ?? []),
    month,
  );
  const { rows: projects } = await sql.query<{ id: string; name: string }>(
    'select id, name from team_projects where team_id = $1',
    [teamId],
  );
  const { rows: members } = await sql.query<{ id: string; email: string }>(
    'select a.id, a.email from team_members m join accounts a on a.id = m.account_id where m.team_id = $1',
    [teamId],
  );
  const projectName = new Map(projects.map((p) => [p.id, p.name]));
  const memberName = new Map(members.map((m) => [m.id, m.email]));
  const named = (lines: ReportLine[], name: (id: string | null) => string) =>
    lines
      .map((l) => ({ ...l, name: name(l.id) }))
      .sort((a, b) => b.spent - a.spent || a.name.localeCompare(b.name));
  return {
    month,
    byProject: named(report.byProject, (id) =>
      id === null ? 'No project' : (projectName.get(id) ?? id),
    ),
    byMember: named(report.byMember, (id) => (id === null ? '' : (memberName.get(id) ?? id))),
    total: report.total,
  };
}
