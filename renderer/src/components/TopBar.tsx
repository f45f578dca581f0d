import { useLedger } from '../app/context';
import { KIND, shownBalance } from '../app/balance';
import { credits } from '../util/format';
import { SyncBadge } from './SyncBadge';
import { useTeams } from '../stores/team-store';
import { TeamWalletSwitcher } from './team-wallet-switcher';

/** Always visible: balance, offline allowance left and sync state. */
export function TopBar() {
  const wallet = useLedger((s) => s.wallet);
  const allowance = useLedger((s) => s.allowance);
  const check = useLedger((s) => s.walletCheck);
  const through = useLedger((s) => s.verifiedThrough);
  const balance = shownBalance(wallet, allowance);
  // With a team wallet chosen, this figure is still the personal one: say so (§14).
  const teamChosen = useTeams((s) => s.selected !== null);
  const left =
    allowance && allowance.status === 'open' ? allowance.amount - allowance.spentOffline : null;
  return (
    <header className="topbar">
      <div className="balance" aria-live="polite">
        <span className="balance-label">{teamChosen ? 'Personal' : 'Balance'}</span>
        <strong className="balance-value" data-testid="balance">
          {balance === null ? '…' : credits(balance)}
        </strong>
        <span className="balance-kind">{KIND} credits</span>
        {balance !== null && check === 'checking' && (
          <span className="balance-check" data-testid="balance-check">
            checking…
          </span>
        )}
        {check === 'last-proven' && (
          <span className="balance-check balance-unproven" data-testid="balance-check">
            last verified state (entry {through})
          </span>
        )}
      </div>
      {left !== null && (
        <div className="allowance-chip" data-testid="allowance-left">
          Offline allowance: {credits(left)} left
        </div>
      )}
      <TeamWalletSwitcher />
      <SyncBadge />
    </header>
  );
}
