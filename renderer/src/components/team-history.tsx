import { useMemo, useState } from 'react';
import type { TeamDetail, TeamWalletRow } from '../../../shared/api/teams';
import { useTeams } from '../stores/team-store';
import { saveBlob } from '../util/design-file';
import { credits, creditsText, dateTime } from '../util/format';
import { TeamCostReport } from './team-report';

const csvCell = (v: string | number): string => {
  const text = String(v);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function names(detail: TeamDetail | null) {
  const members = new Map(detail?.members.map((m) => [m.accountId, m.email]) ?? []);
  const projects = new Map(detail?.projects.map((p) => [p.projectId, p.name]) ?? []);
  return {
    member: (id: string | null) => (id === null ? '' : (members.get(id) ?? 'former member')),
    project: (id: string | null) => (id === null ? '' : (projects.get(id) ?? id)),
  };
}

/** A row's words for a creator: main names a run's hold in ledger terms (docs/architecture.md §2). */
export const teamRowWords = (label: string): string =>
  label
    .replace(/^Hold for (.+)$/, 'Set aside for a $1 run')
    .replace(/^Hold released \((.+)\)$/, 'Returned, not charged ($1)');

/** The CSV of the rows shown (date, activity, member, project, credits). */
export function teamCsv(rows: readonly TeamWalletRow[], detail: TeamDetail | null): string {
  const n = names(detail);
  const lines = rows.map((r) =>
    [r.at, r.label, n.member(r.memberId), n.project(r.projectId), r.credits, r.seq]
      .map(csvCell)
      .join(','),
  );
  return ['date,activity,member,project,credits,entry', ...lines].join('\n');
}

/**
 * History of a team wallet (docs/architecture.md §14): every entry of its verified chain with
 * the member who acted and the project, filtered by project and member, exported as CSV.
 */
export function TeamHistory() {
  const wallet = useTeams((s) => s.wallet);
  const detail = useTeams((s) => s.detail);
  const [member, setMember] = useState('');
  const [project, setProject] = useState('');
  const n = names(detail);
  const rows = useMemo(
    () =>
      (wallet?.rows ?? []).filter(
        (r) =>
          (member === '' || r.memberId === member) && (project === '' || r.projectId === project),
      ),
    [wallet, member, project],
  );
  if (!wallet) return <p className="muted">Loading the team wallet…</p>;
  const month = new Date().toISOString().slice(0, 7);
  return (
    <div className="screen history">
      <div className="screen-head">
        <h1>History — {detail?.team.name ?? 'team'}</h1>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            saveBlob(
              new Blob([teamCsv(rows, detail)], { type: 'text/csv' }),
              `team-history-${month}.csv`,
            )
          }
        >
          Export (CSV)
        </button>
      </div>
      <div className="row team-filters">
        <label>
          Member{' '}
          <select value={member} onChange={(e) => setMember(e.target.value)}>
            <option value="">Everyone</option>
            {detail?.members.map((m) => (
              <option key={m.accountId} value={m.accountId}>
                {m.email}
              </option>
            ))}
          </select>
        </label>
        <label>
          Project{' '}
          <select value={project} onChange={(e) => setProject(e.target.value)}>
            <option value="">All projects</option>
            {detail?.projects.map((p) => (
              <option key={p.projectId} value={p.projectId}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <table className="team-table" data-testid="team-history">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Activity</th>
            <th scope="col">Member</th>
            <th scope="col">Project</th>
            <th scope="col" className="num">
              Credits
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.seq}>
              <td className="nowrap">{dateTime(r.at)}</td>
              <td>{teamRowWords(r.label)}</td>
              <td data-testid="team-history-member">{n.member(r.memberId)}</td>
              <td className="nowrap">{n.project(r.projectId)}</td>
              <td className="num">
                {r.credits === 0
                  ? ''
                  : `${r.credits > 0 ? '+' : '−'}${credits(Math.abs(r.credits))}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Wallet of a team: its verified balance and what each member spent this month. */
export function TeamWallet() {
  const wallet = useTeams((s) => s.wallet);
  const detail = useTeams((s) => s.detail);
  if (!wallet) return <p className="muted">Loading the team wallet…</p>;
  const n = names(detail);
  const spent = new Map(wallet.spentByMember.map((s) => [s.memberId, s.spent]));
  return (
    <div className="screen wallet">
      <h1>Wallet — {detail?.team.name ?? 'team'}</h1>
      <section className="kpis" aria-label="Team balance">
        <div className="kpi">
          <span className="kpi-label">Team image credits</span>
          <strong className="kpi-value" data-testid="team-wallet-balance">
            {credits(wallet.balance)}
          </strong>
          <span className="muted">
            {credits(wallet.available)} ready to use · verified
            {!wallet.fresh && ' (offline: last verified state)'}
          </span>
        </div>
      </section>
      <p className="hint team-wallet-note">
        Studio runs are charged to this wallet while it is chosen in the top bar, for the project
        picked next to the run button.
      </p>
      <section className="panel" aria-labelledby="member-spend-title">
        <h2 id="member-spend-title">Spending per member this month</h2>
        <table className="team-table" data-testid="team-member-spending">
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col" className="num">
                Spent
              </th>
              <th scope="col" className="num">
                Budget
              </th>
            </tr>
          </thead>
          <tbody>
            {(detail?.members ?? []).map((m) => (
              <tr key={m.accountId}>
                <td>{n.member(m.accountId)}</td>
                <td className="num">{creditsText(spent.get(m.accountId) ?? 0)}</td>
                <td className="num">
                  {m.budget.monthly === null
                    ? 'none'
                    : `${credits(m.budget.used)} of ${credits(m.budget.monthly)}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {detail && detail.team.role !== 'member' && (
        <TeamCostReport wallet={wallet} detail={detail} />
      )}
    </div>
  );
}
