import { useEffect } from 'react';
import { create } from 'zustand';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { TeamDetail, TeamSummary, TeamWalletView } from '../../../shared/api/teams';
import type { AllowanceState } from '../../../shared/ipc/types';
import { errorSentence } from '../util/errors';

/**
 * Which wallet the top bar shows (the personal one, or a team's) and what main verified of the
 * chosen team wallet (docs/architecture.md §14). Kept per signed-in account: another account's
 * choice is never shown.
 */
interface TeamState {
  accountId: string | null;
  teams: TeamSummary[];
  /** null: the personal wallet. */
  selected: string | null;
  wallet: TeamWalletView | null;
  /** This device's offline allowance on the chosen team wallet (docs/architecture.md §5). */
  allowance: AllowanceState | null;
  detail: TeamDetail | null;
  error: string | null;
  /** The project the next Studio run on the team wallet is for (null: none). */
  projectId: string | null;
  select(teamId: string | null): void;
  setProject(projectId: string | null): void;
  refresh(api: EaselApi): Promise<void>;
}

export const useTeams = create<TeamState>((set, get) => ({
  accountId: null,
  teams: [],
  selected: null,
  wallet: null,
  allowance: null,
  detail: null,
  error: null,
  projectId: null,
  select: (teamId) =>
    set({
      selected: teamId,
      wallet: null,
      allowance: null,
      detail: null,
      error: null,
      projectId: null,
    }),
  setProject: (projectId) => set({ projectId }),
  async refresh(api) {
    try {
      const { teams } = await api.listTeams({});
      const selected = teams.some((t) => t.teamId === get().selected) ? get().selected : null;
      set({ teams, selected });
      if (selected === null)
        return set({ wallet: null, allowance: null, detail: null, error: null });
      // The allowance first: online it settles what was spent offline before the wallet is read.
      const allowance = await api.getAllowance({ teamId: selected }).catch(() => null);
      const [wallet, detail] = await Promise.all([
        api.getTeamWallet({ teamId: selected }),
        api.getTeam({ teamId: selected }),
      ]);
      if (get().selected !== selected) return;
      // A project archived meanwhile is no longer offered.
      const projectId = detail.projects.some((p) => p.projectId === get().projectId)
        ? get().projectId
        : null;
      set({ wallet, allowance, detail, error: null, projectId });
    } catch (error) {
      // Offline: the verified copy main keeps still answers getTeamWallet and the allowance.
      const selected = get().selected;
      if (selected !== null) {
        const allowance = await api.getAllowance({ teamId: selected }).catch(() => null);
        const wallet = await api.getTeamWallet({ teamId: selected }).catch(() => null);
        if (get().selected === selected) set({ allowance, ...(wallet ? { wallet } : {}) });
      }
      set({ error: errorSentence(error) });
    }
  },
}));

/** Keeps the team list and the chosen team wallet fresh for `accountId` (polling every 5 s). */
export function useTeamSync(api: EaselApi, accountId: string | null, tick: number): void {
  useEffect(() => {
    if (useTeams.getState().accountId !== accountId)
      useTeams.setState({
        accountId,
        teams: [],
        selected: null,
        wallet: null,
        allowance: null,
        detail: null,
        projectId: null,
      });
  }, [accountId]);
  const selected = useTeams((s) => s.selected);
  useEffect(() => {
    if (!accountId) return;
    void useTeams.getState().refresh(api);
    const timer = setInterval(() => void useTeams.getState().refresh(api), 5000);
    return () => clearInterval(timer);
  }, [api, accountId, selected, tick]);
}

/**
 * What this member may still spend this month on the chosen team wallet for `projectId`: the
 * smaller of their own and the project's budget left, each null when no budget is set.
 */
export function budgetLeft(
  detail: TeamDetail | null,
  accountId: string | null,
  projectId: string | null,
): { member: number | null; project: number | null } {
  const left = (b: { monthly: number | null; used: number } | undefined): number | null =>
    b?.monthly == null ? null : Math.max(0, b.monthly - b.used);
  return {
    member: left(detail?.members.find((m) => m.accountId === accountId)?.budget),
    project:
      projectId === null
        ? null
        : left(detail?.projects.find((p) => p.projectId === projectId)?.budget),
  };
}
