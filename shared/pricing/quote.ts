import type { PriceBook, Ratio, SizeRule } from './book';
import type { Quote, QuoteLine, QuoteRequest } from './request';
import { divide } from './rounding';

export type QuoteErrorCode =
  | 'tool-not-offered'
  | 'unknown-size'
  | 'unknown-model'
  | 'unknown-preset'
  | 'unsupported-mode'
  | 'unsupported-count'
  | 'unsupported-factor'
  | 'unsupported-tier'
  | 'steps-out-of-range'
  | 'too-many-pixels';

/** A request the price book cannot price. Never a silent 0. */
export class QuoteError extends Error {
  constructor(
    readonly code: QuoteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QuoteError';
  }
}

/**
 * Prices a tool request with a price book. The server charges exactly this and the app shows
 * exactly this, from the same code. Rounding: a model multiplier applies to the price of one
 * image and is rounded once per image by the book's rule; counts multiply whole credits.
 */
export function quote(book: PriceBook, request: QuoteRequest): Quote {
  const lines: QuoteLine[] = [];
  let credits: number;
  switch (request.tool) {
    case 'generate': {
      const g = book.tools.generate ?? notOffered('generate');
      if (!g.modes.includes(request.mode))
        throw new QuoteError('unsupported-mode', `${request.mode} is not offered`);
      if (!g.counts.includes(request.count)) {
        throw new QuoteError(
          'unsupported-count',
          `${request.count} images per run is not offered (choose ${g.counts.join(', ')})`,
        );
      }
      if (request.steps > g.maxSteps)
        throw new QuoteError('steps-out-of-range', `at most ${g.maxSteps} steps`);
      const model = g.models[request.model];
      if (!model) throw new QuoteError('unknown-model', `unknown model "${request.model}"`);
      checkPixels(book, request.width, request.height);
      const base = sizePrice(g.perImage, request.width, request.height, request.steps);
      lines.push({
        label: `${request.width}×${request.height}, ${request.steps} steps`,
        credits: base,
      });
      const perImage = applyRatio(base, model.multiplier, book);
      if (!isOne(model.multiplier))
        lines.push({ label: `${model.label} ×${ratioText(model.multiplier)}`, credits: perImage });
      credits = perImage * request.count;
      lines.push({ label: `${request.count} image${request.count === 1 ? '' : 's'}`, credits });
      break;
    }
    case 'filter': {
      const f = book.tools.filter ?? notOffered('filter');
      if (!f.presets.includes(request.preset))
        throw new QuoteError('unknown-preset', `unknown filter preset "${request.preset}"`);
      checkPixels(book, request.width, request.height);
      credits = sizePrice(f.price, request.width, request.height, 0);
      lines.push({ label: `Filter: ${request.preset}`, credits });
      break;
    }
    case 'upscale': {
      const u = book.tools.upscale ?? notOffered('upscale');
      const rule = u.factors[String(request.factor) as '2' | '4' | '8'];
      if (!rule)
        throw new QuoteError('unsupported-factor', `upscale ×${request.factor} is not offered`);
      const w = request.width * request.factor;
      const h = request.height * request.factor;
      checkPixels(book, w, h);
      const base = sizePrice(rule, w, h, 0);
      lines.push({ label: `Upscale ×${request.factor} to ${w}×${h}`, credits: base });
      const tierName = request.tier ?? 'fast';
      const tier = u.tiers?.[tierName];
      if (!tier && (u.tiers !== undefined || tierName !== 'fast'))
        throw new QuoteError('unsupported-tier', `the ${tierName} upscale is not offered`);
      credits = tier ? applyRatio(base, tier.multiplier, book) : base;
      if (tier && !isOne(tier.multiplier))
        lines.push({ label: `${tier.label} ×${ratioText(tier.multiplier)}`, credits });
      break;
    }
    case 'cutout': {
      const c = book.tools.cutout ?? notOffered('cutout');
      checkPixels(book, request.width, request.height);
      credits = sizePrice(c.price, request.width, request.height, 0);
      lines.push({ label: 'Background removal', credits });
      break;
    }
    case 'face-enhance': {
      const fe = book.tools.faceEnhance ?? notOffered('face-enhance');
      checkPixels(book, request.width, request.height);
      credits = sizePrice(fe.price, request.width, request.height, 0);
      lines.push({ label: 'Face enhance', credits });
      break;
    }
    case 'design': {
      const d = book.designs ?? notOffered('design');
      credits = divide(request.priceCents * d.creditsPerDollar, 100, book.rounding);
      lines.push({ label: `Design at $${(request.priceCents / 100).toFixed(2)}`, credits });
      break;
    }
  }
  return { credits, currency: book.currency, lines, priceBookVersion: book.version };
}

/** What disliking one image of a generate run gives back, or null if the book has no refunds. */
export function dislikeRefund(
  book: PriceBook,
  request: Extract<QuoteRequest, { tool: 'generate' }>,
): number | null {
  const rule = book.refunds?.dislikedImage;
  if (!rule) return null;
  const perImage = quote(book, request).credits / request.count;
  return rule.type === 'fixed' ? Math.min(rule.credits, perImage) : perImage;
}

function notOffered(tool: string): never {
  throw new QuoteError('tool-not-offered', `this price book does not offer ${tool}`);
}

function checkPixels(book: PriceBook, width: number, height: number): void {
  if (width * height > book.maxPixels) {
    throw new QuoteError(
      'too-many-pixels',
      `${width}×${height} is over the ${book.maxPixels} pixel limit`,
    );
  }
}

function sizePrice(rule: SizeRule, width: number, height: number, steps: number): number {
  switch (rule.type) {
    case 'flat':
      return rule.credits;
    case 'matrix': {
      const cell = rule.cells.find((c) => c.width === width && c.height === height);
      if (!cell) {
        const sizes = rule.cells.map((c) => `${c.width}×${c.height}`).join(', ');
        throw new QuoteError('unknown-size', `${width}×${height} is not offered (choose ${sizes})`);
      }
      const rung = cell.steps.find((s) => steps <= s.maxSteps);
      if (!rung)
        throw new QuoteError(
          'steps-out-of-range',
          `${width}×${height} allows at most ${cell.steps.at(-1)?.maxSteps ?? 0} steps`,
        );
      return rung.credits;
    }
    case 'tiers': {
      const pixels = width * height;
      const tier = rule.tiers.find((t) => pixels <= t.maxPixels);
      if (!tier)
        throw new QuoteError('unknown-size', `${width}×${height} is above the largest tier`);
      return tier.credits;
    }
  }
}

function applyRatio(credits: number, ratio: Ratio, book: PriceBook): number {
  return divide(credits * ratio.num, ratio.den, book.rounding);
}

const isOne = (r: Ratio): boolean => r.num === r.den;
const ratioText = (r: Ratio): string => String(Math.round((r.num / r.den) * 100) / 100);
