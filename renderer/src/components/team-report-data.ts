import { csvCell } from './history-csv';
import type { MonthReport } from '../../../shared/wallet/team-report';

// The report's fold is shared with the server's `/report` route (docs/architecture.md §14).
export {
  type MonthReport,
  type ReportLine,
  monthReport,
  reportMonths,
} from '../../../shared/wallet/team-report';

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
