import type { CallImpl } from '../core/handlers';
import type { PendingInvite } from './pending-invite';
import type { TeamsClient } from './teams';

type TeamCalls = Pick<
  CallImpl,
  | 'listTeams'
  | 'getTeam'
  | 'createTeam'
  | 'inviteTeamMember'
  | 'acceptTeamInvite'
  | 'pendingTeamInvite'
  | 'dismissTeamInvite'
  | 'previewTeamInvite'
  | 'setTeamRole'
  | 'removeTeamMember'
  | 'setTeamBudget'
  | 'createTeamProject'
  | 'getTeamWallet'
>;

/** The team IPC calls (docs/architecture.md §14), each a thin step onto the team routes. */
export function teamCalls(
  teams: TeamsClient,
  me: () => string | null,
  invite: PendingInvite,
  /** Credits this device spent offline on the team and not yet settled (§14). */
  pendingCredits: (teamId: string) => Promise<number> = async () => 0,
): TeamCalls {
  return {
    listTeams: async () => teams.list(),
    getTeam: async ({ teamId }) => teams.detail(teamId),
    createTeam: async ({ name }) => teams.create(name),
    inviteTeamMember: async ({ teamId, email, role }) => teams.invite(teamId, email, role),
    acceptTeamInvite: async ({ token }) => {
      const joined = await teams.accept(token);
      // The link that offered this invite has had its answer.
      invite.clear(token);
      return joined;
    },
    pendingTeamInvite: async () => invite.get(),
    dismissTeamInvite: async () => invite.clear(),
    previewTeamInvite: async ({ token }) => teams.preview(token),
    setTeamRole: async ({ teamId, memberId, role }) => teams.setRole(teamId, memberId, role),
    removeTeamMember: async ({ teamId, memberId }) => {
      await teams.remove(teamId, memberId);
      // Leaving: the team is no longer readable by this account.
      return memberId === me() ? null : teams.detail(teamId);
    },
    setTeamBudget: async ({ teamId, scope, subjectId, monthly }) => {
      await teams.setBudget(teamId, scope, subjectId, monthly);
      return teams.detail(teamId);
    },
    createTeamProject: async ({ teamId, name }) => {
      await teams.createProject(teamId, name);
      return teams.detail(teamId);
    },
    getTeamWallet: async ({ teamId }) => {
      const { team } = await teams.detail(teamId).catch(async (error: unknown) => {
        // Offline: the verified copy on disk names its own account.
        const cached = await teams.cachedAccount(teamId);
        if (cached) return { team: { accountId: cached } };
        throw error;
      });
      const wallet = await teams.wallet(teamId, team.accountId);
      // Offline spends from this device's team allowance are not on the chain yet.
      const pending = await pendingCredits(teamId);
      return { ...wallet, balance: wallet.balance - pending };
    },
  };
}
