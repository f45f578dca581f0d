import type { TeamReport } from '../../shared/api/teams';
import type { EntryBody } from '../../shared/ledger/entry';
import type { Sql } from '../db/database';
import { nextPeriodStart } from './budgets';

/**
 * Cost per project and per member for one UTC month (docs/architecture.md §14), from the team
 * chain's captures (one run each) and settles (spent offline from a member's allowance: credits,
 * not runs): each names its member and project in its signed `team` field, so the same report can
 * be made offline from a verified copy of the chain.
 */
export async function teamReport(
  sql: Sql,
  teamId: string,
  accountId: string,
  month: string,
): Promise<TeamReport> {
  const start = `${month}-01T00:00:00.000Z`;
  const { rows } = await sql.query<{ body: string }>(
    `select body from entries where account_id = $1 and type in ('capture', 'settle') and at >= $2 and at < $3 order by seq`,
    [accountId, start, nextPeriodStart(start)],
  );
  const byProject = new Map<string | null, { spent: number; runs: number }>();
  const byMember = new Map<string, { spent: number; runs: number }>();
  const add = <K>(
    m: Map<K, { spent: number; runs: number }>,
    k: K,
    amount: number,
    runs: number,
  ) => {
    const row = m.get(k) ?? { spent: 0, runs: 0 };
    row.spent += amount;
    row.runs += runs;
    m.set(k, row);
  };
  let total = 0;
  for (const { body } of rows) {
    const e = JSON.parse(body) as EntryBody;
    if ((e.type !== 'capture' && e.type !== 'settle') || !e.team) continue;
    const runs = e.type === 'capture' ? 1 : 0; // spending offline is not a run
    add(byProject, e.team.projectId, e.amount, runs);
    add(byMember, e.team.memberId, e.amount, runs);
    total += e.amount;
  }
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
  const sorted = <K extends string | null>(
    m: Map<K, { spent: number; runs: number }>,
    name: (k: K) => string,
  ) =>
    [...m.entries()]
      .map(([id, v]) => ({ id, name: name(id), ...v }))
      .sort((a, b) => b.spent - a.spent || a.name.localeCompare(b.name));
  return {
    month,
    byProject: sorted(byProject, (id) =>
      id === null ? 'No project' : (projectName.get(id) ?? id),
    ),
    byMember: sorted(byMember, (id) => memberName.get(id) ?? id),
    total,
  };
}
