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
  /** What stands between the user and a price (e.g. "Choose an input image to see the price."). */
  waiting?: string | null;
  /** The price book is known (cached or fresh); without it no price can be shown yet. */
  hasBook: boolean;
}) {
  const { quote, error, balance } = props;
  if (error)
    return (
      <p className="cost cost-error" role="alert">
        {error}
      </p>
    );
  if (!quote)
    return (
      <p className="cost muted" data-testid="cost-waiting">
        {!props.hasBook
          ? 'Prices appear once Easel has reached the server once.'
          : (props.waiting ?? 'Choose the settings to see the price.')}
      </p>
    );
  const after = balance === null ? null : balance - quote.credits;
  if (balance !== null && props.available < quote.credits)
    return (
      <p className="cost cost-short" data-testid="cost-line" aria-live="polite">
        Not enough credits: needs{' '}
        <strong data-testid="quote-credits">{credits(quote.credits)}</strong>, you have{' '}
        {credits(Math.max(0, props.available))}
        <span className="cost-detail"> ({quote.lines.map((l) => l.label).join(', ')})</span>
      </p>
    );
  return (
    <p className="cost" data-testid="cost-line" aria-live="polite">
      Costs <strong data-testid="quote-credits">{credits(quote.credits)}</strong>{' '}
      {creditWord(quote.credits)}
      {after !== null && (
        <>
          {' '}
          · <span data-testid="after-credits">{credits(after)}</span> left after
        </>
      )}
      <span className="cost-detail"> ({quote.lines.map((l) => l.label).join(', ')})</span>
    </p>
  );
}
