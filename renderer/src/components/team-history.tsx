import { useCallback, useMemo, useState } from 'react';
import type { TeamDetail, TeamWalletRow } from '../../../shared/api/teams';
import { useJobs } from '../app/context';
import { useTeams } from '../stores/team-store';
import { promptOf, TOOL_LABEL } from '../studio/results';
import { ActivityRowView } from './ActivityRowView';
import { csvCell } from './history-csv';
import { imagesByRef } from './history-data';
import { teamActivities, teamRowWords } from './team-activities';
import { VirtualList } from './VirtualList';
import '../styles/history.css';
import { saveBlob } from '../util/design-file';
import { credits, creditsText } from '../util/format';
import { TeamCostReport } from './team-report';

function names(detail: TeamDetail | null) {
  const members = new Map(detail?.members.map((m) => [m.accountId, m.email]) ?? []);
  const projects = new Map(detail?.projects.map((p) => [p.projectId, p.name]) ?? []);
  return {
    member: (id: string | null) => (id === null ? '' : (members.get(id) ?? 'former member')),
    project: (id: string | null) => (id === null ? '' : (projects.get(id) ?? id)),
  };
}

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

const ROW = 56;

/**
 * History of a team wallet (docs/architecture.md §14), read like the personal one: one row per
 * activity (a run with its prompt and picture, a refund, a grant…) with the member who acted and
 * the project, filtered by project and member; a row opens on its wallet entries. The CSV keeps
 * one line per entry of the verified chain.
 */
export function TeamHistory() {
  const wallet = useTeams((s) => s.wallet);
  const detail = useTeams((s) => s.detail);
  const jobs = useJobs((s) => s.jobs);
  const gallery = useJobs((s) => s.gallery);
  const [member, setMember] = useState('');
  const [project, setProject] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const n = useMemo(() => names(detail), [detail]);
  const rows = useMemo(
    () =>
      (wallet?.rows ?? []).filter(
        (r) =>
          (member === '' || r.memberId === member) && (project === '' || r.projectId === project),
      ),
    [wallet, member, project],
  );
  const activities = useMemo(
    () =>
      teamActivities(
        rows,
        (jobId) => {
          const job = jobs[jobId];
          return job ? (promptOf(job.params) ?? `${TOOL_LABEL[job.tool]} run`) : null;
        },
        (scope, id) => (scope === 'member' ? n.member(id) : n.project(id)),
      ),
    [rows, jobs, n],
  );
  const imageOf = useMemo(() => imagesByRef(gallery), [gallery]);
  const noEntries = useCallback(async () => [], []);
  if (!wallet) return <p className="muted">Loading the team wallet…</p>;
  const month = new Date().toISOString().slice(0, 7);
  const openIndex = activities.findIndex((a) => a.key === open);
  const opened = activities[openIndex];
  return (
    <div className="screen history team-history">
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
      <p className="muted" data-testid="team-history-count">
        {activities.length === 0
          ? 'No activities yet.'
          : `${activities.length.toLocaleString('en-US')} ${activities.length === 1 ? 'activity' : 'activities'}`}
        {' · '}
        {rows.length.toLocaleString('en-US')} {rows.length === 1 ? 'record' : 'records'}, all
        verified
      </p>
      <div data-testid="team-history">
        <VirtualList
          count={activities.length}
          rowHeight={ROW}
          label="Team activities"
          expanded={
            opened
              ? { index: openIndex, extra: 16 + 28 * Math.max(1, opened.entries.length) }
              : null
          }
          header={
            <div className="vhead" role="row" aria-rowindex={1}>
              {['', 'Activity', 'Credits', 'Member', 'Project', 'When', 'Status'].map((h, i) => (
                <div key={i} role="columnheader" className="cell">
                  {h || <span className="visually-hidden">Picture</span>}
                </div>
              ))}
            </div>
          }
          renderRow={(i) => {
            const a = activities[i];
            const sha =
              a === undefined
                ? undefined
                : (imageOf.get(a.ref) ?? imageOf.get(a.entries[0]?.jobId ?? ''));
            return (
              <ActivityRowView
                activity={a}
                sha256={sha ?? null}
                expanded={a !== undefined && a.key === open}
                onToggle={() => setOpen(a && a.key !== open ? a.key : null)}
                loadEntries={noEntries}
                verifiedThrough={wallet.seq}
                middle={
                  <>
                    <div
                      role="cell"
                      className="cell member"
                      data-testid="team-history-member"
                      title={n.member(a?.memberId ?? null)}
                    >
                      {n.member(a?.memberId ?? null)}
                    </div>
                    <div
                      role="cell"
                      className="cell project"
                      title={n.project(a?.projectId ?? null)}
                    >
                      {n.project(a?.projectId ?? null)}
                    </div>
                  </>
                }
                entries={
                  <ul>
                    {a?.entries.map((r) => (
                      <li key={r.seq}>
                        <span className="seq">#{r.seq}</span>
                        <span>{teamRowWords(r.label)}</span>
                        <span>
                          {r.credits !== 0
                            ? `${r.credits > 0 ? '+' : '−'}${creditsText(Math.abs(r.credits))}`
                            : r.held !== undefined
                              ? `${creditsText(r.held)} set aside`
                              : creditsText(0)}
                        </span>
                        <span className="verified">✓ Verified</span>
                      </li>
                    ))}
                  </ul>
                }
              />
            );
          }}
        />
      </div>
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
