import { useState } from 'react';
import type { AutoTopupAttempt, AutoTopupResponse } from '../../../shared/api/auto-topup';
import { useCatalog, useLedger, useStores } from '../app/context';
import { creditsText, dateTime, money } from '../util/format';
import { errorSentence } from '../util/errors';
import {
  FormMessages,
  NumberField,
  SettingsPanel,
  submitWith,
  useFormMessages,
  useServerView,
} from './settings-form';

const statusText: Record<AutoTopupAttempt['status'], string> = {
  pending: 'Paying…',
  processing: 'Paid, credits on their way',
  succeeded: 'Bought',
  'action-required': 'Needs you',
  failed: 'Failed',
  capped: 'Not bought: monthly cap',
};

/** Money typed as "25" or "25.50" into cents; anything else is refused. */
function parseMoney(text: string): number | 'bad' {
  const t = text.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return 'bad';
  return Math.round(Number(t) * 100);
}

/**
 * Settings → Auto top-up (docs/architecture.md §7): opt-in; below the threshold the pack is
 * bought with the card saved at a checkout, at most the monthly cap. The server decides, once
 * per crossing; this shows its settings, the saved card and the latest attempts.
 */
export function AutoTopupSettings() {
  const { api } = useStores();
  const packs = useCatalog((s) => s.store?.packs ?? []);
  const headSeq = useLedger((s) => s.headSeq);
  const [enabled, setEnabled] = useState(false);
  const [threshold, setThreshold] = useState('50');
  const [itemId, setItemId] = useState('');
  const [cap, setCap] = useState('50');
  const messages = useFormMessages();
  const [view, setView] = useServerView(
    () => api.getAutoTopup({}),
    headSeq,
    messages.setError,
    (v: AutoTopupResponse) => {
      const s = v.settings;
      if (!s) return;
      setEnabled(s.enabled);
      setThreshold(String(s.threshold));
      setItemId(s.itemId);
      setCap((s.monthlyCapCents / 100).toFixed(2));
    },
  );
  const pack = packs.find((p) => p.itemId === itemId) ?? packs[0];

  const save = async (): Promise<void> => {
    messages.clear();
    const t = /^\d+$/.test(threshold.trim()) ? Number(threshold.trim()) : 0;
    const capCents = parseMoney(cap);
    if (t < 1) return messages.setError('The threshold is a whole number of credits, 1 or more.');
    if (!pack) return messages.setError('The store has no credit pack to buy.');
    if (capCents === 'bad' || capCents < pack.priceCents)
      return messages.setError(
        `The monthly cap is an amount of money, at least the pack's price (${money(pack.priceCents, pack.currency)}).`,
      );
    try {
      const v = await api.setAutoTopup({
        enabled,
        threshold: t,
        itemId: pack.itemId,
        monthlyCapCents: capCents,
      });
      setView(v);
      messages.setNote(enabled ? 'Auto top-up is on.' : 'Auto top-up is off.');
    } catch (e) {
      messages.setError(errorSentence(e));
    }
  };

  const settings = view?.settings;
  const currency = pack?.currency ?? 'usd';
  return (
    <SettingsPanel
      id="topup"
      title="Auto top-up"
      about="When your available credits fall below the threshold, Easel buys the pack with the card you kept at a checkout — once each time the balance crosses it, never past the monthly cap."
    >
      <form className="row wrap" onSubmit={submitWith(save)}>
        <label className="field check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Top up automatically
        </label>
        <NumberField label="Below (credits)" value={threshold} onChange={setThreshold} />
        <label className="field">
          Buy
          <select value={pack?.itemId ?? ''} onChange={(e) => setItemId(e.target.value)}>
            {packs.map((p) => (
              <option key={p.itemId} value={p.itemId}>
                {creditsText(p.credits + p.bonusCredits)} for {money(p.priceCents, p.currency)}
              </option>
            ))}
          </select>
        </label>
        <NumberField
          label={`Monthly cap (${currency.toUpperCase()})`}
          decimal
          value={cap}
          onChange={setCap}
        />
        <button type="submit" className="primary" disabled={!view || packs.length === 0}>
          Save auto top-up
        </button>
      </form>
      {view && (
        <p className="hint" data-testid="topup-card">
          {view.paymentMethod
            ? `Card kept: ${view.paymentMethod.label}.`
            : 'No card is kept yet: buy a pack and choose to keep the card for auto top-up.'}
          {settings &&
            ` ${money(view.spentThisMonthCents, currency)} of ${money(settings.monthlyCapCents, currency)} used this month · resets ${dateTime(view.resetsAt)}.`}
        </p>
      )}
      {view?.recent[0]?.status === 'action-required' && (
        <p className="banner banner-warn" role="alert">
          {view.recent[0].message}
        </p>
      )}
      {view && view.recent.length > 0 && (
        <ul className="plain" data-testid="topup-attempts">
          {view.recent.map((a) => (
            <li key={a.topupId}>
              {dateTime(a.at)} · {money(a.amountCents, a.currency)} · {statusText[a.status]}
              {a.message && a.status !== 'action-required' && (
                <span className="muted"> — {a.message}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      <FormMessages {...messages} />
    </SettingsPanel>
  );
}
