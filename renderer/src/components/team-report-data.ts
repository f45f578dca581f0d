import type { TeamWalletRow } from '../../../shared/api/teams';

/** One line of the cost report: a project (null: no project) or a member. */
export interface ReportLine {
  id: string | null;
  spent: number;
  runs: number;
}

export interface MonthReport {
  month: string;
  byProject: ReportLine[];
  byMember: ReportLine[];
  total: number;
  runs: number;
}

const monthOf = (iso: string): string => iso.slice(0, 7);

/** A row that charges the team: a run's capture, or a settle of what was spent offline. */
const charged = (r: TeamWalletRow): boolean => r.type === 'capture' || r.type === 'settle';

/**
 * Cost per project and per member for one UTC month (`2026-12`), from the rows of the team chain
 * main verified (docs/architecture.md §14): each capture (a run) and each settle (spent offline
 * from a member's allowance, counted in credits, not runs) is charged to the member and project its signed
 * `team` field names — the same rule as the server's `/report` route.
 */
export function monthReport(rows: readonly TeamWalletRow[], month: string): MonthReport {
  const projects = new Map<string | null, ReportLine>();
  const members = new Map<string | null, ReportLine>();
  const add = (
    m: Map<string | null, ReportLine>,
    id: string | null,
    amount: number,
    count: number,
  ) => {
    const line = m.get(id) ?? { id, spent: 0, runs: 0 };
    line.spent += amount;
    line.runs += count;
    m.set(id, line);
  };
  let total = 0;
  let runs = 0;
  for (const r of rows) {
    if (!charged(r) || monthOf(r.at) !== month || r.memberId === null) continue;
    const amount = -r.credits;
    const count = r.type === 'capture' ? 1 : 0; // spending offline is not a run
    add(projects, r.projectId, amount, count);
    add(members, r.memberId, amount, count);
    total += amount;
    runs += count;
  }
  const sorted = (m: Map<string | null, ReportLine>) =>
    [...m.values()].sort((a, b) => b.spent - a.spent || b.runs - a.runs);
  return { month, byProject: sorted(projects), byMember: sorted(members), total, runs };
}

/** The months the report can show: this month, and every month the chain charged anything in. */
export function reportMonths(rows: readonly TeamWalletRow[], now: string): string[] {
  const months = new Set([monthOf(now)]);
  for (const r of rows) if (charged(r)) months.add(monthOf(r.at));
  return [...months].sort().reverse();
}

const csvCell = (v: string | number): string => {
  const text = String(v);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The report as CSV: one line per project and per member, then the total. */
export function reportCsv(
  report: MonthReport,
  names: { project: (id: string | null) => string; member: (id: string | null) => string },
): string {
  const lines = [
    ...report.byProject.map((l) => ['project', names.project(l.id), l.runs, l.spent]),
    ...report.byMember.map((l) => ['member', names.member(l.id), l.runs, l.spent]),
    ['total', '', report.runs, report.total],
  ];
  return [
    `month,kind,name,runs,credits`,
    ...lines.map((l) => [report.month, ...l].map(csvCell).join(',')),
  ].join('\n');
}
