import { useState } from 'react';
import { useStores } from '../app/context';
import { creditsText, date } from '../util/format';
import { errorSentence } from '../util/errors';

/**
 * Store → Promo code (docs/architecture.md §2, promo codes): redeemed once per account for a
 * signed promo grant; the balance follows with the next sync.
 */
export function PromoCodeForm() {
  const stores = useStores();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const redeem = async (): Promise<void> => {
    setNote(null);
    setError(null);
    const typed = code.trim().toUpperCase();
    if (!/^[A-Z0-9-]{4,32}$/.test(typed)) {
      setError('A promo code is 4 to 32 letters, digits or dashes.');
      return;
    }
    setBusy(true);
    try {
      const r = await stores.api.redeemPromo({ code: typed });
      setNote(
        `Code ${r.code} added ${creditsText(r.credits)}${r.expiresAt ? `, valid until ${date(r.expiresAt)}` : ''}.`,
      );
      setCode('');
      void stores.ledger.getState().sync();
    } catch (e) {
      setError(errorSentence(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="promo-title">
      <h2 id="promo-title">Promo code</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void redeem();
        }}
      >
        <label className="field grow">
          Promo code
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </label>
        <button type="submit" className="secondary" disabled={busy || code.trim() === ''}>
          Redeem code
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}
