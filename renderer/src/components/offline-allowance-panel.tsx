import { useEffect, useState } from 'react';
import { useLedger, useSession, useStores } from '../app/context';
import { useTeams } from '../stores/team-store';
import { credits, dateTime } from '../util/format';
import { messageOf } from '../util/errors';

/**
 * Settings → Offline allowance, for the wallet chosen in the top bar (docs/architecture.md §5,
 * §14): the personal allowance, or this device's allowance from the chosen team wallet, cut to
 * what the member's budget leaves this month.
 */
export function OfflineAllowancePanel() {
  const stores = useStores();
  const settings = useSession((s) => s.settings);
  const personal = useLedger((s) => s.allowance);
  const teamId = useTeams((s) => s.selected);
  const team = useTeams((s) => s.teams.find((t) => t.teamId === s.selected) ?? null);
  const teamAllowance = useTeams((s) => s.allowance);
  const [amount, setAmount] = useState(settings?.allowanceAmount ?? 100);
  const [days, setDays] = useState(settings?.allowanceDays ?? 7);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => setNote(null), [teamId]);

  const allowance = teamId === null ? personal : teamAllowance;
  const refresh = async (): Promise<void> => {
    if (teamId !== null) return useTeams.getState().refresh(stores.api);
    await stores.ledger.getState().refreshAllowance();
    void stores.ledger.getState().sync();
  };
  const take = async (): Promise<void> => {
    setNote(null);
    try {
      const wasOpen = allowance?.status === 'open';
      const taken = await stores.api.takeAllowance(
        teamId === null ? { amount, days } : { amount, days, teamId },
      );
      await refresh();
      // The server cuts an allowance to what the spending limits (or the team budget) leave.
      const why = teamId === null ? 'your spending limits' : 'your monthly team budget';
      setNote(
        !wasOpen && taken.amount < amount
          ? `Offline allowance reserved: ${credits(taken.amount)} credits, less than asked, to stay within ${why}.`
          : 'Offline allowance reserved.',
      );
    } catch (e) {
      setNote(messageOf(e));
    }
  };
  const giveBack = async (): Promise<void> => {
    try {
      await stores.api.returnAllowance(teamId === null ? {} : { teamId });
      await refresh();
    } catch (e) {
      setNote(messageOf(e));
    }
  };

  return (
    <section className="panel" aria-labelledby="allowance-title">
      <h2 id="allowance-title">Offline allowance{team ? ` · ${team.name}` : ''}</h2>
      <p className="muted">
        {team
          ? `Credits reserved from the ${team.name} team wallet, within your monthly team budget, so this device can spend them without a connection.`
          : 'Credits reserved on the server so this device can spend them without a connection.'}
      </p>
      {allowance && allowance.status === 'open' ? (
        <p data-testid="allowance-state">
          {credits(allowance.amount - allowance.spentOffline)} of {credits(allowance.amount)} left,
          until {dateTime(allowance.expiresAt)}
          {allowance.pendingVouchers > 0 && ` · ${allowance.pendingVouchers} waiting to settle`}
        </p>
      ) : (
        <p>No allowance is open.</p>
      )}
      {teamId !== null && allowance?.blockedReason && (
        <p className="error">{allowance.blockedReason}</p>
      )}
      {allowance?.rejected.map((r) => (
        <p className="error" key={`${r.allowanceId ?? ''}-${r.counter}`}>
          Offline spend #{r.counter} was refused: {r.message}
        </p>
      ))}
      <div className="row">
        <label className="field">
          Amount
          <input
            type="number"
            min={1}
            value={amount}
            onChange={(e) => setAmount(Number(e.target.value) || 1)}
          />
        </label>
        <label className="field">
          Days
          <input
            type="number"
            min={1}
            max={30}
            value={days}
            onChange={(e) => setDays(Number(e.target.value) || 1)}
          />
        </label>
        <button type="button" className="primary" onClick={() => void take()}>
          Take allowance
        </button>
        {allowance?.status === 'open' && (
          <button type="button" className="secondary" onClick={() => void giveBack()}>
            Return it
          </button>
        )}
      </div>
      {note && <p role="status">{note}</p>}
    </section>
  );
}
