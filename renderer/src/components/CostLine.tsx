import type { Quote } from '../../../shared/pricing/request';
import { creditWord, credits } from '../util/format';

/**
 * The exact cost of a run and what is left after, right under its button. The quote comes from
 * the cached signed price book with the same code the server charges with.
 */
export function CostLine(props: {
  quote: Quote | null;
  error: string | null;
  balance: number | null;
  available: number;
}) {
  const { quote, error, balance } = props;
  if (error)
    return (
      <p className="cost cost-error" role="alert">
        {error}
      </p>
    );
  if (!quote) return <p className="cost">Loading prices…</p>;
  const after = balance === null ? null : balance - quote.credits;
  return (
    <p className="cost" data-testid="cost-line" aria-live="polite">
      Costs <strong data-testid="quote-credits">{credits(quote.credits)}</strong>{' '}
      {creditWord(quote.credits)}
      {after !== null && (
        <>
          {' '}
          · <span data-testid="after-credits">{credits(Math.max(after, 0))}</span> left after
        </>
      )}
      <span className="cost-detail"> ({quote.lines.map((l) => l.label).join(', ')})</span>
    </p>
  );
}
