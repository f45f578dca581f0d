import { useState } from 'react';
import { useJobs, useSession, useStores } from '../app/context';
import { creditsText } from '../util/format';
import { FALLBACK_LOW, usualRun } from './alerts-logic';
import {
  FormMessages,
  NumberField,
  SettingsPanel,
  submitWith,
  useFormMessages,
} from './settings-form';

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
  const messages = useFormMessages();
  const automatic = usual
    ? `two runs of ${usual.tool}, your usual tool: ${creditsText(usual.credits * 2)}`
    : `${creditsText(FALLBACK_LOW)} until you have run a tool`;

  const save = async (): Promise<void> => {
    messages.clear();
    const l = low.trim();
    const d = days.trim();
    if (l !== '' && !/^\d+$/.test(l))
      return messages.setError(
        'The low-balance alert is a whole number of credits (0: never), or empty.',
      );
    if (!/^\d+$/.test(d) || Number(d) > 30)
      return messages.setError('Expiry alerts look 0 to 30 days ahead (0: never).');
    await stores.session
      .getState()
      .updateSettings({ lowBalanceAlert: l === '' ? null : Number(l), expiryAlertDays: Number(d) });
    messages.setNote('Alerts saved.');
  };

  return (
    <SettingsPanel
      id="alerts"
      title="Alerts"
      about="A notification when your balance runs low and when credits are about to expire — once each time, not on every sync."
    >
      <form className="row wrap" onSubmit={submitWith(save)}>
        <NumberField
          label="Low balance below (credits)"
          placeholder="Automatic"
          value={low}
          onChange={setLow}
        />
        <NumberField label="Expiring within (days)" value={days} onChange={setDays} />
        <button type="submit" className="primary">
          Save alerts
        </button>
      </form>
      <p className="hint" data-testid="alert-automatic">
        Automatic: {automatic}.
      </p>
      <FormMessages {...messages} />
    </SettingsPanel>
  );
}
