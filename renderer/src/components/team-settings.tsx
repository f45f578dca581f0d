import { useEffect, useState } from 'react';
import {
  InviteToken,
  type TeamDetail,
  TeamInviteLink,
  type TeamRole,
  teamInviteLink,
} from '../../../shared/api/teams';
import { useSession, useStores } from '../app/context';
import { useTeams } from '../stores/team-store';
import { creditsText, date } from '../util/format';
import { errorSentence } from '../util/errors';
import { TeamFormRow } from './team-form-row';
import { mayManageMember } from './team-roles';

/** The token of a pasted invite link (or of a bare token); null when it is neither. */
function tokenOf(text: string): string | null {
  const link = TeamInviteLink.safeParse(text);
  if (link.success) return link.data.token;
  const bare = InviteToken.safeParse(text.trim());
  return bare.success ? bare.data : null;
}

const roleName: Record<TeamRole, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

/** A budget field's text: empty is none; else a whole number of credits, 1 or more. */
function parseBudget(text: string): number | null | 'bad' {
  const t = text.trim();
  if (t === '') return null;
  return /^\d+$/.test(t) && Number(t) >= 1 ? Number(t) : 'bad';
}

function BudgetCell({
  label,
  monthly,
  used,
  canEdit,
  onSave,
}: {
  label: string;
  monthly: number | null;
  used: number;
  canEdit: boolean;
  onSave: (monthly: number | null) => Promise<void>;
}) {
  const [text, setText] = useState(monthly === null ? '' : String(monthly));
  const [bad, setBad] = useState(false);
  useEffect(() => setText(monthly === null ? '' : String(monthly)), [monthly]);
  const usage = `${creditsText(used)} used${monthly === null ? '' : ` of ${creditsText(monthly)}`}`;
  if (!canEdit) return <span>{monthly === null ? `No budget · ${usage}` : usage}</span>;
  return (
    <TeamFormRow
      label={`Monthly budget for ${label}`}
      placeholder="No budget"
      numeric
      value={text}
      onChange={setText}
      invalid={bad}
      allowEmpty
      submitLabel="Save"
      onSubmit={() => {
        const value = parseBudget(text);
        setBad(value === 'bad');
        if (value !== 'bad') void onSave(value);
      }}
      after={
        <span className="hint">
          {bad ? 'A whole number of credits, or empty for none.' : usage}
        </span>
      }
    />
  );
}

function TeamPanel({
  detail,
  onChange,
}: {
  detail: TeamDetail;
  onChange: (d: TeamDetail | null) => void;
}) {
  const { api } = useStores();
  const myId = useSession((s) => s.session?.accountId ?? null);
  const me = detail.team.role;
  const staff = me === 'owner' || me === 'admin';
  const teamId = detail.team.teamId;
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [link, setLink] = useState<string | null>(null);
  const [project, setProject] = useState('');
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<TeamDetail | null>) => {
    setError(null);
    try {
      onChange(await fn());
    } catch (e) {
      setError(errorSentence(e));
    }
  };
  return (
    <div className="team-panel" data-testid="team-panel">
      <p className="hint">
        You are {me === 'member' ? 'a member' : `an ${me}`} of {detail.team.name}. Budgets are per
        UTC month ({detail.period}); they reset {date(detail.resetsAt)}.
      </p>
      <table className="team-table">
        <caption>Members</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Role</th>
            <th scope="col">Monthly budget</th>
            {staff && (
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {detail.members.map((m) => (
            <tr key={m.accountId} data-testid="team-member">
              <td>{m.email}</td>
              <td>
                {mayManageMember(me, m.role) ? (
                  <select
                    aria-label={`Role of ${m.email}`}
                    value={m.role}
                    onChange={(e) =>
                      void act(() =>
                        api.setTeamRole({
                          teamId,
                          memberId: m.accountId,
                          role: e.target.value as TeamRole,
                        }),
                      )
                    }
                  >
                    {me === 'owner' && <option value="owner">Owner</option>}
                    <option value="admin">Admin</option>
                    <option value="member">Member</option>
                  </select>
                ) : (
                  roleName[m.role]
                )}
              </td>
              <td>
                <BudgetCell
                  label={m.email}
                  monthly={m.budget.monthly}
                  used={m.budget.used}
                  canEdit={mayManageMember(me, m.role)}
                  onSave={(monthly) =>
                    act(() =>
                      api.setTeamBudget({
                        teamId,
                        scope: 'member',
                        subjectId: m.accountId,
                        monthly,
                      }),
                    )
                  }
                />
              </td>
              {staff && (
                <td>
                  {m.role !== 'owner' && (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() =>
                        void act(() => api.removeTeamMember({ teamId, memberId: m.accountId }))
                      }
                    >
                      Remove
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <table className="team-table">
        <caption>Projects</caption>
        <thead>
          <tr>
            <th scope="col">Project</th>
            <th scope="col">Monthly budget</th>
          </tr>
        </thead>
        <tbody>
          {detail.projects.length === 0 && (
            <tr>
              <td colSpan={2} className="muted">
                No projects yet.
              </td>
            </tr>
          )}
          {detail.projects.map((p) => (
            <tr key={p.projectId} data-testid="team-project">
              <td>{p.name}</td>
              <td>
                <BudgetCell
                  label={p.name}
                  monthly={p.budget.monthly}
                  used={p.budget.used}
                  canEdit={staff}
                  onSave={(monthly) =>
                    act(() =>
                      api.setTeamBudget({
                        teamId,
                        scope: 'project',
                        subjectId: p.projectId,
                        monthly,
                      }),
                    )
                  }
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {staff && (
        <TeamFormRow
          label="New project name"
          placeholder="Project name"
          value={project}
          onChange={setProject}
          submitLabel="Add project"
          onSubmit={() =>
            void act(async () => {
              const d = await api.createTeamProject({ teamId, name: project });
              setProject('');
              return d;
            })
          }
        />
      )}
      {staff && <h3 className="team-subhead">Invite a member</h3>}
      {staff && (
        <TeamFormRow
          type="email"
          label="E-mail to invite"
          placeholder="name@example.com"
          value={email}
          onChange={setEmail}
          submitLabel="Invite"
          onSubmit={() => {
            setError(null);
            setLink(null);
            api
              .inviteTeamMember({ teamId, email, role })
              .then((r) => {
                setLink(teamInviteLink(r.token));
                setEmail('');
              })
              .catch((err: unknown) => setError(errorSentence(err)));
          }}
          beside={
            <select
              aria-label="Role for the invite"
              value={role}
              onChange={(e) => setRole(e.target.value as 'member' | 'admin')}
            >
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </select>
          }
        />
      )}
      {link && (
        <p className="hint">
          Send this invite link (it works once, for 7 days, for that address):{' '}
          <code data-testid="invite-link">{link}</code>
        </p>
      )}
      {!staff && <p className="hint">Only owners and admins change roles, budgets and projects.</p>}
      {me !== 'owner' && myId && (
        <div className="team-leave">
          <button
            type="button"
            className="secondary"
            onClick={() => void act(() => api.removeTeamMember({ teamId, memberId: myId }))}
          >
            Leave team
          </button>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * Settings → Teams (docs/architecture.md §14): create a team, accept an invite, and for the
 * chosen team its members, roles, budgets and projects.
 */
export function TeamSettings() {
  const { api } = useStores();
  const teams = useTeams((s) => s.teams);
  const refresh = useTeams((s) => s.refresh);
  const [open, setOpen] = useState<string | null>(null);
  const [detail, setDetail] = useState<TeamDetail | null>(null);
  const [name, setName] = useState('');
  const [invite, setInvite] = useState('');
  const [error, setError] = useState<string | null>(null);
  const shown = open ?? teams[0]?.teamId ?? null;
  useEffect(() => {
    if (!shown) return setDetail(null);
    let live = true;
    api
      .getTeam({ teamId: shown })
      .then((d) => live && setDetail(d))
      .catch((e: unknown) => live && setError(errorSentence(e)));
    return () => {
      live = false;
    };
  }, [api, shown, teams]);
  const run = async (fn: () => Promise<string>) => {
    setError(null);
    try {
      const teamId = await fn();
      await refresh(api);
      setOpen(teamId);
    } catch (e) {
      setError(errorSentence(e));
    }
  };
  return (
    <section className="panel" aria-labelledby="teams-title">
      <h2 id="teams-title">Teams</h2>
      <p className="hint">
        A team has its own wallet, shared by its members within their budgets. Choose the wallet in
        the top bar.
      </p>
      {teams.length > 1 && (
        <label className="team-picker">
          Team{' '}
          <select value={shown ?? ''} onChange={(e) => setOpen(e.target.value)}>
            {teams.map((t) => (
              <option key={t.teamId} value={t.teamId}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {detail && detail.team.teamId === shown && (
        <TeamPanel
          // A fresh panel per team: an invite link shown for one team never shows under another.
          key={detail.team.teamId}
          detail={detail}
          onChange={(d) => {
            if (d) setDetail(d);
            else void refresh(api);
          }}
        />
      )}
      <h3 className="team-subhead">
        {teams.length === 0 ? 'Start or join a team' : 'Start or join another team'}
      </h3>
      <div className="row team-start">
        <TeamFormRow
          label="Team name"
          placeholder="Team name"
          value={name}
          onChange={setName}
          submitLabel="Create team"
          onSubmit={() =>
            void run(async () => {
              const t = await api.createTeam({ name });
              setName('');
              return t.teamId;
            })
          }
        />
        <TeamFormRow
          label="Invite link"
          placeholder="Paste an invite link"
          value={invite}
          onChange={setInvite}
          submitLabel="Join team"
          onSubmit={() =>
            void run(async () => {
              const token = tokenOf(invite);
              if (token === null)
                throw new Error(
                  'that is not an invite link: it looks like easel://team-invite?token=… (43 letters and digits)',
                );
              const t = await api.acceptTeamInvite({ token });
              setInvite('');
              return t.teamId;
            })
          }
        />
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
