import { useSession } from '../app/context';
import { budgetLeft, useTeams } from '../stores/team-store';
import '../styles/teams.css';
import { creditsText } from '../util/format';
import { TeamProjectPicker } from './TeamProjectPicker';

/** What the chosen team wallet lets this member spend now, for the run button to decide. */
interface TeamRunLimits {
  teamName: string;
  balance: number | null;
  available: number | null;
  /** The smaller of the member's and the project's budget left this month; null: no budget. */
  budgetLeft: number | null;
}

/** The chosen team wallet's figures for the next run, or null on the personal wallet. */
export function useTeamRunLimits(): TeamRunLimits | null {
  const accountId = useSession((s) => s.session?.accountId ?? null);
  const team = useTeams((s) => s.teams.find((t) => t.teamId === s.selected) ?? null);
  const wallet = useTeams((s) => s.wallet);
  const detail = useTeams((s) => s.detail);
  const projectId = useTeams((s) => s.projectId);
  if (!team) return null;
  const left = budgetLeft(detail, accountId, projectId);
  const limits = [left.member, left.project].filter((n): n is number => n !== null);
  return {
    teamName: team.name,
    balance: wallet?.balance ?? null,
    available: wallet?.available ?? null,
    budgetLeft: limits.length === 0 ? null : Math.min(...limits),
  };
}

/**
 * Above a Studio tool's run button while a team wallet is chosen (docs/architecture.md §14):
 * which wallet the run charges, the project it is for, and the budget this member and project
 * have left this month.
 */
export function TeamRunBar() {
  const accountId = useSession((s) => s.session?.accountId ?? null);
  const team = useTeams((s) => s.teams.find((t) => t.teamId === s.selected) ?? null);
  const detail = useTeams((s) => s.detail);
  const projectId = useTeams((s) => s.projectId);
  if (!team) return null;
  const left = budgetLeft(detail, accountId, projectId);
  const projects = detail?.projects ?? [];
  const projectName = projects.find((p) => p.projectId === projectId)?.name;
  return (
    <div className="team-run" role="group" aria-label="Team wallet" data-testid="team-run">
      <p className="team-run-wallet">
        Charges the <strong>{team.name}</strong> team wallet
      </p>
      <TeamProjectPicker testId="run-project" />
      <p className="team-run-budget muted" data-testid="run-budget">
        {detail === null
          ? 'Reading the team’s budgets…'
          : `Left this month — you: ${left.member === null ? 'no limit' : creditsText(left.member)}${
              projectId === null
                ? ''
                : ` · ${projectName ?? 'project'}: ${left.project === null ? 'no limit' : creditsText(left.project)}`
            }`}
      </p>
    </div>
  );
}
