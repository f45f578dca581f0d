import { useState } from 'react';
import type { SpendingLimitsResponse } from '../../../shared/api/limits';
import { useLedger, useStores } from '../app/context';
import { creditsText, dateTime } from '../util/format';
import { errorSentence } from '../util/errors';
import {
  FormMessages,
  NumberField,
  SettingsPanel,
  submitWith,
  useFormMessages,
  useServerView,
} from './settings-form';

/** A number field's text as a limit: empty means none; anything else must be a whole number. */
function parseLimit(text: string): number | null | 'bad' {
  const t = text.trim();
  if (t === '') return null;
  return /^\d+$/.test(t) && Number(t) >= 1 ? Number(t) : 'bad';
}

const text = (limit: number | null): string => (limit === null ? '' : String(limit));

function Usage({
  period,
  used,
  limit,
  resetsAt,
}: {
  period: string;
  used: number;
  limit: number | null;
  resetsAt: string;
}) {
  return (
    <p className="hint" data-testid={`limit-usage-${period}`}>
      {creditsText(used)} used {period === 'daily' ? 'today' : 'this month'}
      {limit !== null && ` of ${creditsText(limit)}`} · resets {dateTime(resetsAt)}
    </p>
  );
}

/**
 * Settings → Spending limits (docs/architecture.md §2): the user's own daily and monthly caps,
 * kept and enforced by the server; a run past them is refused with the reset time.
 */
export function SpendingLimitsSettings() {
  const { api } = useStores();
  const [daily, setDaily] = useState('');
  const [monthly, setMonthly] = useState('');
  const messages = useFormMessages();
  const fill = (v: SpendingLimitsResponse): void => {
    setDaily(text(v.daily.limit));
    setMonthly(text(v.monthly.limit));
  };
  // What is used changes with every write: read it again when the ledger moves.
  const headSeq = useLedger((s) => s.headSeq);
  const [view, setView] = useServerView(
    () => api.getSpendingLimits({}),
    headSeq,
    messages.setError,
    fill,
  );

  const save = async (): Promise<void> => {
    messages.clear();
    const d = parseLimit(daily);
    const m = parseLimit(monthly);
    if (d === 'bad' || m === 'bad')
      return messages.setError(
        'A limit is a whole number of credits, 1 or more; leave it empty for no limit.',
      );
    if (d !== null && m !== null && d > m)
      return messages.setError('The daily limit cannot be above the monthly limit.');
    try {
      const v = await api.setSpendingLimits({ daily: d, monthly: m });
      setView(v);
      fill(v);
      messages.setNote('Spending limits saved.');
    } catch (e) {
      messages.setError(errorSentence(e));
    }
  };

  return (
    <SettingsPanel
      id="limits"
      title="Spending limits"
      about="Runs, design redemptions and offline allowances stop at these limits. Days and months follow UTC. Leave a field empty for no limit."
    >
      <form className="row" onSubmit={submitWith(save)}>
        <NumberField
          label="Daily limit (credits)"
          placeholder="No limit"
          value={daily}
          onChange={setDaily}
        />
        <NumberField
          label="Monthly limit (credits)"
          placeholder="No limit"
          value={monthly}
          onChange={setMonthly}
        />
        <button type="submit" className="primary" disabled={!view}>
          Save limits
        </button>
      </form>
      {view && (
        <>
          <Usage period="daily" {...view.daily} />
          <Usage period="monthly" {...view.monthly} />
        </>
      )}
      <FormMessages {...messages} />
    </SettingsPanel>
  );
}
