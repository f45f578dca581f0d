import type { TeamRole } from '../../../shared/api/teams';
import { useJobs, useSession } from '../app/context';
import { useTeams } from '../stores/team-store';

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
