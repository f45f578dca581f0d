import type { TeamRole } from '../../../shared/api/teams';
import { useJobs, useSession } from '../app/context';
import { useTeams } from '../stores/team-store';
import { creditsText } from '../util/format';

/**
 * Whether this account may dislike (refund) an image of run `team`: any image of a personal
 * run; of a team run, the member who ran it, or an owner or admin of the team — the server
 * refuses anyone else with 403 `team-role` (docs/architecture.md §14).
 */
export function mayRefund(
  team: { memberId: string } | null | undefined,
  accountId: string | null,
  role: TeamRole | null,
): boolean {
  if (!team) return true;
  return team.memberId === accountId || role === 'owner' || role === 'admin';
}

/** `mayRefund` for an image of run `jobId`, with the signed-in account and its team role. */
export function useMayRefund(jobId: string): boolean {
  const accountId = useSession((s) => s.session?.accountId ?? null);
  const team = useJobs((s) => s.jobs[jobId]?.team ?? null);
  const role = useTeams(
    (s) => s.detail?.members.find((m) => m.accountId === accountId)?.role ?? null,
  );
  return mayRefund(team, accountId, role);
}

/**
 * What a dislike says it gave back, and where: a team run's credits go back to the team's
 * wallet, not to the creator's own balance in the top bar (docs/architecture.md §14).
 * `team` is null for a personal run; a team whose name is not known yet is "the team wallet".
 */
export function returnedNote(credits: number, team: { name: string | null } | null): string {
  const back = `${creditsText(credits)} returned`;
  if (team === null) return back;
  return team.name === null
    ? `${back} to the team wallet`
    : `${back} to the ${team.name} team wallet`;
}

/** The team that paid for the run of image `jobId` (or its stored `teamId`), for `returnedNote`. */
export function usePayingTeam(jobId: string, teamId?: string): { name: string | null } | null {
  const id = useJobs((s) => s.jobs[jobId]?.team?.teamId) ?? teamId ?? null;
  const name = useTeams((s) => s.teams.find((t) => t.teamId === id)?.name ?? null);
  return id === null ? null : { name };
}
