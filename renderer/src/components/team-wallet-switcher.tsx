import { useEffect } from 'react';
import { useLedger, useSession, useStores } from '../app/context';
import { useTeamSync, useTeams } from '../stores/team-store';
import '../styles/teams.css';
import { credits } from '../util/format';

/**
 * Top bar: which wallet runs and screens use — the personal one, or a team's
 * (docs/architecture.md §14). A team wallet's figures are what main verified of its chain.
 */
export function TeamWalletSwitcher() {
  const { api, jobs } = useStores();
  const accountId = useSession((s) => s.session?.accountId ?? null);
  const head = useLedger((s) => s.headSeq);
  useTeamSync(api, accountId, head);
  const teams = useTeams((s) => s.teams);
  const selected = useTeams((s) => s.selected);
  const wallet = useTeams((s) => s.wallet);
  const select = useTeams((s) => s.select);
  // The chosen team's runs (its files, by every member) show in the Studio and the Gallery.
  useEffect(() => {
    if (selected !== null) void jobs.getState().loadTeam(selected);
  }, [jobs, selected, head]);
  if (teams.length === 0) return null;
  const team = teams.find((t) => t.teamId === selected);
  return (
    <div className="team-switcher">
      <label>
        <span className="balance-label">Wallet</span>{' '}
        <select
          data-testid="wallet-switcher"
          value={selected ?? ''}
          onChange={(e) => select(e.target.value === '' ? null : e.target.value)}
        >
          <option value="">Personal</option>
          {teams.map((t) => (
            <option key={t.teamId} value={t.teamId}>
              {t.name} (team)
            </option>
          ))}
        </select>
      </label>
      {team && (
        <span className="allowance-chip" data-testid="team-balance">
          {team.name}: {wallet ? `${credits(wallet.balance)} credits` : '…'}
          {wallet && !wallet.fresh && ' (last verified)'}
        </span>
      )}
    </div>
  );
}
