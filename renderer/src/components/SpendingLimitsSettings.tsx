import { useEffect, useState } from 'react';
import type { SpendingLimitsResponse } from '../../../shared/api/limits';
import { useLedger, useStores } from '../app/context';
import { creditsText, dateTime } from '../util/format';
import { errorSentence } from '../util/errors';

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
  const [view, setView] = useState<SpendingLimitsResponse | null>(null);
  const [daily, setDaily] = useState('');
  const [monthly, setMonthly] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // What is used changes with every write: read it again when the ledger moves.
  const headSeq = useLedger((s) => s.headSeq);

  const show = (v: SpendingLimitsResponse): void => {
    setView(v);
    setDaily(text(v.daily.limit));
    setMonthly(text(v.monthly.limit));
  };
  useEffect(() => {
    let live = true;
    api
      .getSpendingLimits({})
      .then((v) => live && setView(v))
      .catch((e: unknown) => live && setError(errorSentence(e)));
    return () => {
      live = false;
    };
  }, [api, headSeq]);
  // The fields take the server's limits when they first arrive, not on every refresh.
  const [filled, setFilled] = useState(false);
  useEffect(() => {
    if (view && !filled) {
      setDaily(text(view.daily.limit));
      setMonthly(text(view.monthly.limit));
      setFilled(true);
    }
  }, [view, filled]);

  const save = async (): Promise<void> => {
    setNote(null);
    setError(null);
    const d = parseLimit(daily);
    const m = parseLimit(monthly);
    if (d === 'bad' || m === 'bad') {
      setError('A limit is a whole number of credits, 1 or more; leave it empty for no limit.');
      return;
    }
    if (d !== null && m !== null && d > m) {
      setError('The daily limit cannot be above the monthly limit.');
      return;
    }
    try {
      show(await api.setSpendingLimits({ daily: d, monthly: m }));
      setNote('Spending limits saved.');
    } catch (e) {
      setError(errorSentence(e));
    }
  };

  return (
    <section className="panel" aria-labelledby="limits-title">
      <h2 id="limits-title">Spending limits</h2>
      <p className="muted">
        Runs, design redemptions and offline allowances stop at these limits. Days and months follow
        UTC. Leave a field empty for no limit.
      </p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label className="field">
          Daily limit (credits)
          <input
            type="text"
            inputMode="numeric"
            placeholder="No limit"
            value={daily}
            onChange={(e) => setDaily(e.target.value)}
          />
        </label>
        <label className="field">
          Monthly limit (credits)
          <input
            type="text"
            inputMode="numeric"
            placeholder="No limit"
            value={monthly}
            onChange={(e) => setMonthly(e.target.value)}
          />
        </label>
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
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}
