import type { PriceBook } from '../../../shared/pricing/book';
import { quote, QuoteError } from '../../../shared/pricing/quote';
import type { Quote, QuoteRequest } from '../../../shared/pricing/request';

/** Quotes, turning "cannot be priced" into a message instead of a throw. */
export function tryQuote(
  book: PriceBook | null,
  request: QuoteRequest | null,
): { quote: Quote | null; error: string | null } {
  if (!book || !request) return { quote: null, error: null };
  try {
    return { quote: quote(book, request), error: null };
  } catch (error) {
    if (error instanceof QuoteError) return { quote: null, error: error.message };
    throw error;
  }
}

const COMMON = [
  [512, 512],
  [768, 768],
  [1024, 1024],
  [1024, 768],
  [768, 1024],
] as const;

/** Sizes a generate run may use: the matrix cells when the book lists them, else common ones. */
export function generateSizes(book: PriceBook | null): Array<[number, number]> {
  const rule = book?.tools.generate?.perImage;
  if (rule?.type === 'matrix') return rule.cells.map((c) => [c.width, c.height]);
  return COMMON.map(([w, h]) => [w, h]);
}

/** The step rungs of a size when the book prices generate by resolution × steps, else null. */
export function stepRungs(
  book: PriceBook | null,
  width: number,
  height: number,
): Array<{ to: number; credits: number }> | null {
  const rule = book?.tools.generate?.perImage;
  if (rule?.type !== 'matrix') return null;
  const cell = rule.cells.find((c) => c.width === width && c.height === height);
  if (!cell) return null;
  return [...cell.steps]
    .sort((a, b) => a.maxSteps - b.maxSteps)
    .map((r) => ({ to: r.maxSteps, credits: r.credits }));
}
