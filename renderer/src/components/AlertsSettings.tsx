import { useState } from 'react';
import { useJobs, useSession, useStores } from '../app/context';
import { creditsText } from '../util/format';
import { FALLBACK_LOW, usualRun } from './alerts-logic';

/**
 * Settings → Alerts (docs/architecture.md §7): the low-balance threshold (empty: two runs of the
 * usual tool) and how many days ahead expiring credits are announced (0: never). Kept by main.
 */
export function AlertsSettings() {
  const stores = useStores();
  const settings = useSession((s) => s.settings);
  const usual = usualRun(Object.values(useJobs((s) => s.jobs)));
  const [low, setLow] = useState(
    settings?.lowBalanceAlert === null || settings?.lowBalanceAlert === undefined
      ? ''
      : String(settings.lowBalanceAlert),
  );
  const [days, setDays] = useState(String(settings?.expiryAlertDays ?? 3));
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const automatic = usual
    ? `two runs of ${usual.tool}, your usual tool: ${creditsText(usual.credits * 2)}`
    : `${creditsText(FALLBACK_LOW)} until you have run a tool`;

  const save = async (): Promise<void> => {
    setNote(null);
    setError(null);
    const l = low.trim();
    const d = days.trim();
    if (l !== '' && !/^\d+$/.test(l))
      return setError('The low-balance alert is a whole number of credits (0: never), or empty.');
    if (!/^\d+$/.test(d) || Number(d) > 30)
      return setError('Expiry alerts look 0 to 30 days ahead (0: never).');
    await stores.session
      .getState()
      .updateSettings({ lowBalanceAlert: l === '' ? null : Number(l), expiryAlertDays: Number(d) });
    setNote('Alerts saved.');
  };

  return (
    <section className="panel" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <p className="muted">
        A notification when your balance runs low and when credits are about to expire — once each
        time, not on every sync.
      </p>
      <form
        className="row wrap"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label className="field">
          Low balance below (credits)
          <input
            type="text"
            inputMode="numeric"
            placeholder="Automatic"
            value={low}
            onChange={(e) => setLow(e.target.value)}
          />
        </label>
        <label className="field">
          Expiring within (days)
          <input
            type="text"
            inputMode="numeric"
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          Save alerts
        </button>
      </form>
      <p className="hint" data-testid="alert-automatic">
        Automatic: {automatic}.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}
