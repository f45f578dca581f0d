import { useMemo, useState } from 'react';
import type { TeamDetail, TeamWalletView } from '../../../shared/api/teams';
import { credits, creditsText } from '../util/format';
import { saveBlob } from '../util/design-file';
import {
  type MonthReport,
  type ReportLine,
  monthReport,
  reportCsv,
  reportMonths,
} from './team-report-data';

const monthName = (month: string): string =>
  new Date(`${month}-01T00:00:00.000Z`).toLocaleDateString(undefined, {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });

function reportNames(detail: TeamDetail | null) {
  const members = new Map(detail?.members.map((m) => [m.accountId, m.email]) ?? []);
  const projects = new Map(detail?.projects.map((p) => [p.projectId, p.name]) ?? []);
  return {
    member: (id: string | null) => (id === null ? '' : (members.get(id) ?? 'Former member')),
    project: (id: string | null) => (id === null ? 'No project' : (projects.get(id) ?? id)),
  };
}

function ReportTable(props: {
  caption: string;
  heading: string;
  lines: ReportLine[];
  name: (id: string | null) => string;
  report: MonthReport;
  testId: string;
}) {
  const { report } = props;
  return (
    <table className="team-table report-table" data-testid={props.testId}>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">{props.heading}</th>
          <th scope="col" className="num">
            Runs
          </th>
          <th scope="col" className="num">
            Credits
          </th>
          <th scope="col" className="share-col">
            <span className="visually-hidden">Share of the month</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.lines.map((l) => {
          const share = report.total === 0 ? 0 : Math.round((l.spent / report.total) * 100);
          return (
            <tr key={l.id ?? 'none'}>
              <th scope="row">{props.name(l.id)}</th>
              <td className="num">{credits(l.runs)}</td>
              <td className="num">{credits(l.spent)}</td>
              <td className="share-col">
                <span className="share-bar" aria-hidden="true">
                  <span style={{ width: `${share}%` }} />
                </span>
                <span className="muted">{share}%</span>
              </td>
            </tr>
          );
        })}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">Total</th>
          <td className="num">{credits(report.runs)}</td>
          <td className="num">{credits(report.total)}</td>
          <td />
        </tr>
      </tfoot>
    </table>
  );
}

/**
 * The team's cost report for owners and admins (docs/architecture.md §14): cost per project and
 * per member for a chosen UTC month, with totals and a CSV, made from the chain main verified.
 */
export function TeamCostReport({
  wallet,
  detail,
}: {
  wallet: TeamWalletView;
  detail: TeamDetail | null;
}) {
  const months = useMemo(() => reportMonths(wallet.rows, new Date().toISOString()), [wallet]);
  const [chosen, setChosen] = useState<string | null>(null);
  const month = chosen !== null && months.includes(chosen) ? chosen : (months[0] ?? '');
  const report = useMemo(() => monthReport(wallet.rows, month), [wallet, month]);
  const names = reportNames(detail);
  const teamName = detail?.team.name ?? 'team';
  return (
    <section className="panel team-report" aria-labelledby="team-report-title">
      <div className="screen-head">
        <h2 id="team-report-title">Cost report</h2>
        <div className="row">
          <label>
            Month{' '}
            <select value={month} onChange={(e) => setChosen(e.target.value)}>
              {months.map((m) => (
                <option key={m} value={m}>
                  {monthName(m)}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="secondary"
            disabled={report.runs === 0}
            onClick={() =>
              saveBlob(
                new Blob([reportCsv(report, names)], { type: 'text/csv' }),
                `${teamName.replace(/[^\w-]+/g, '-')}-costs-${month}.csv`,
              )
            }
          >
            Export (CSV)
          </button>
        </div>
      </div>
      <p className="team-report-total" data-testid="team-report-total">
        <strong>{creditsText(report.total)}</strong>{' '}
        <span className="muted">
          spent on {report.runs === 1 ? '1 run' : `${credits(report.runs)} runs`} in{' '}
          {monthName(month)} (UTC) · from the team wallet’s verified records
        </span>
      </p>
      {report.runs === 0 ? (
        <p className="muted">Nothing was charged to the team wallet in {monthName(month)}.</p>
      ) : (
        <div className="report-tables">
          <ReportTable
            caption="By project"
            heading="Project"
            lines={report.byProject}
            name={names.project}
            report={report}
            testId="team-report-projects"
          />
          <ReportTable
            caption="By member"
            heading="Member"
            lines={report.byMember}
            name={names.member}
            report={report}
            testId="team-report-members"
          />
        </div>
      )}
    </section>
  );
}
