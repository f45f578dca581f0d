import { describe, expect, it } from 'vitest';
import { PriceBook } from './book';
import { defaultPriceBook } from './fixtures/default';
import { flatPerImageBook } from './fixtures/flat-per-image';
import { flatWithModelsBook, matrixWithModelsBook } from './fixtures/model-multipliers';
import { resolutionStepsMatrixBook } from './fixtures/resolution-steps-matrix';
import { resolutionTiersBook } from './fixtures/resolution-tiers';
import { QuoteError, dislikeRefund, quote } from './quote';
import { QuoteRequest } from './request';
import { divide } from './rounding';

const gen = (over: Partial<Extract<QuoteRequest, { tool: 'generate' }>> = {}) =>
  ({
    tool: 'generate',
    mode: 'text-to-image',
    width: 1024,
    height: 1024,
    steps: 30,
    model: 'standard',
    count: 1,
    ...over,
  }) as const;

const errorCode = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof QuoteError) return e.code;
    throw e;
  }
  throw new Error('expected a QuoteError');
};

describe('fixture price books', () => {
  it('all validate against the PriceBook schema', () => {
    for (const book of [
      flatPerImageBook,
      resolutionStepsMatrixBook,
      resolutionTiersBook,
      flatWithModelsBook,
      matrixWithModelsBook,
      defaultPriceBook,
    ]) {
      expect(PriceBook.safeParse(book).success, book.name).toBe(true);
    }
  });
});

describe('flat 6 credits per image', () => {
  it.each([
    [1, 6],
    [2, 12],
    [4, 24],
  ])('%i image(s) cost %i', (count, credits) => {
    const q = quote(flatPerImageBook, gen({ count }));
    expect(q).toMatchObject({ credits, currency: 'image', priceBookVersion: 1 });
    expect(q.lines.at(-1)?.credits).toBe(credits);
  });
  it('image-to-image costs the same', () => {
    expect(quote(flatPerImageBook, gen({ mode: 'image-to-image', count: 2 })).credits).toBe(12);
  });
  it('gives 4 credits back for a disliked image', () => {
    expect(dislikeRefund(flatPerImageBook, gen({ count: 4 }))).toBe(4);
  });
  it('refuses counts it does not sell', () => {
    expect(errorCode(() => quote(flatPerImageBook, gen({ count: 3 })))).toBe('unsupported-count');
  });
});

describe('resolution × steps matrix', () => {
  it.each([
    [512, 1, 1],
    [512, 50, 1],
    [512, 51, 2],
    [512, 100, 2],
    [512, 101, 4],
    [512, 150, 4],
    [1024, 50, 2],
    [1024, 51, 4],
    [1024, 100, 4],
    [1024, 101, 10],
    [1024, 150, 10],
  ])('%i² at %i steps costs %i per image', (side, steps, credits) => {
    expect(
      quote(resolutionStepsMatrixBook, gen({ width: side, height: side, steps, model: 'sd-1.5' }))
        .credits,
    ).toBe(credits);
    expect(
      quote(
        resolutionStepsMatrixBook,
        gen({ width: side, height: side, steps, model: 'sd-1.5', count: 4 }),
      ).credits,
    ).toBe(4 * credits);
  });
  it('prices upscale 1–2, face enhance 1 and background removal 1', () => {
    expect(
      quote(resolutionStepsMatrixBook, { tool: 'upscale', factor: 2, width: 512, height: 512 })
        .credits,
    ).toBe(1);
    expect(
      quote(resolutionStepsMatrixBook, { tool: 'upscale', factor: 4, width: 512, height: 512 })
        .credits,
    ).toBe(2);
    expect(
      quote(resolutionStepsMatrixBook, { tool: 'face-enhance', width: 512, height: 512 }).credits,
    ).toBe(1);
    expect(
      quote(resolutionStepsMatrixBook, { tool: 'cutout', width: 512, height: 512 }).credits,
    ).toBe(1);
  });
  it('refunds the image price when the book says so', () => {
    expect(
      dislikeRefund(
        resolutionStepsMatrixBook,
        gen({ width: 1024, height: 1024, steps: 120, model: 'sd-1.5', count: 2 }),
      ),
    ).toBe(10);
  });
  it('refuses unknown sizes, too many steps, missing factors and tools it does not offer', () => {
    expect(
      errorCode(() =>
        quote(resolutionStepsMatrixBook, gen({ width: 768, height: 768, model: 'sd-1.5' })),
      ),
    ).toBe('unknown-size');
    expect(
      errorCode(() =>
        quote(
          resolutionStepsMatrixBook,
          gen({ width: 512, height: 512, steps: 151, model: 'sd-1.5' }),
        ),
      ),
    ).toBe('steps-out-of-range');
    expect(
      errorCode(() =>
        quote(resolutionStepsMatrixBook, { tool: 'upscale', factor: 8, width: 64, height: 64 }),
      ),
    ).toBe('unsupported-factor');
    expect(
      errorCode(() =>
        quote(resolutionStepsMatrixBook, { tool: 'filter', preset: 'mono', width: 64, height: 64 }),
      ),
    ).toBe('tool-not-offered');
    expect(
      errorCode(() =>
        quote(resolutionStepsMatrixBook, { tool: 'design', designId: 'd1', priceCents: 100 }),
      ),
    ).toBe('tool-not-offered');
  });
});

describe('resolution tiers', () => {
  it.each([
    [1280, 720, 1],
    [1024, 1024, 2],
    [1920, 1080, 2],
    [2560, 1440, 3],
    [3840, 2160, 3],
    [7680, 4320, 4],
  ])('%i×%i costs %i', (width, height, credits) => {
    expect(quote(resolutionTiersBook, gen({ width, height })).credits).toBe(credits);
  });
  it('prices upscales by their output size', () => {
    expect(
      quote(resolutionTiersBook, { tool: 'upscale', factor: 2, width: 640, height: 360 }).credits,
    ).toBe(1);
    expect(
      quote(resolutionTiersBook, { tool: 'upscale', factor: 4, width: 960, height: 540 }).credits,
    ).toBe(3);
    expect(
      quote(resolutionTiersBook, { tool: 'upscale', factor: 8, width: 960, height: 540 }).credits,
    ).toBe(4);
  });
  it('refuses outputs above the largest tier', () => {
    expect(
      errorCode(() =>
        quote(resolutionTiersBook, { tool: 'upscale', factor: 8, width: 1920, height: 1080 }),
      ),
    ).toBe('too-many-pixels');
  });
});

describe('model multipliers 1.5× and 2×', () => {
  it.each([
    ['standard', 1, 6],
    ['pro', 1, 9],
    ['ultra', 1, 12],
    ['pro', 4, 36],
    ['ultra', 2, 24],
  ])('%s × %i image(s) costs %i on the flat book', (model, count, credits) => {
    expect(quote(flatWithModelsBook, gen({ model, count })).credits).toBe(credits);
  });
  it('rounds up per image on the matrix book (1 × 1.5 → 2)', () => {
    const req = gen({ width: 512, height: 512, steps: 50 });
    expect(quote(matrixWithModelsBook, { ...req, model: 'pro' }).credits).toBe(2);
    expect(quote(matrixWithModelsBook, { ...req, model: 'pro', count: 4 }).credits).toBe(8);
    expect(
      quote(matrixWithModelsBook, { ...req, steps: 150, width: 1024, height: 1024, model: 'pro' })
        .credits,
    ).toBe(15);
    expect(
      quote(matrixWithModelsBook, { ...req, steps: 150, width: 1024, height: 1024, model: 'ultra' })
        .credits,
    ).toBe(20);
  });
  it('explains the price line by line', () => {
    const q = quote(flatWithModelsBook, gen({ model: 'pro', count: 2 }));
    expect(q.lines.map((l) => l.credits)).toEqual([6, 9, 18]);
  });
  it('refuses an unknown model', () => {
    expect(errorCode(() => quote(flatWithModelsBook, gen({ model: 'mystery' })))).toBe(
      'unknown-model',
    );
  });
});

describe('designs at 100 credits per dollar', () => {
  it.each([
    [100, 100],
    [499, 499],
    [1250, 1250],
    [0, 0],
  ])('%i cents cost %i credits', (priceCents, credits) => {
    expect(quote(defaultPriceBook, { tool: 'design', designId: 'd-1', priceCents }).credits).toBe(
      credits,
    );
  });
  it('rounds fractions of a credit by the book rule', () => {
    const book = { ...defaultPriceBook, designs: { creditsPerDollar: 150 } };
    expect(quote(book, { tool: 'design', designId: 'd', priceCents: 1 }).credits).toBe(2); // 1.5 → ceil 2
    expect(
      quote({ ...book, rounding: 'floor' }, { tool: 'design', designId: 'd', priceCents: 1 })
        .credits,
    ).toBe(1);
  });
});

describe('rounding', () => {
  it('divides with the named rule', () => {
    expect([
      divide(7, 2, 'ceil'),
      divide(7, 2, 'floor'),
      divide(7, 2, 'half-up'),
      divide(5, 4, 'half-up'),
      divide(8, 4, 'ceil'),
    ]).toEqual([4, 3, 4, 1, 2]);
  });
});

describe('request validation', () => {
  it('rejects unknown tools, fractional sizes, unknown presets and extra fields', () => {
    expect(QuoteRequest.safeParse({ tool: 'teleport' }).success).toBe(false);
    expect(QuoteRequest.safeParse({ ...gen(), width: 512.5 }).success).toBe(false);
    expect(
      QuoteRequest.safeParse({ tool: 'filter', preset: 'glitter', width: 1, height: 1 }).success,
    ).toBe(false);
    expect(QuoteRequest.safeParse({ ...gen(), surprise: 1 }).success).toBe(false);
    expect(QuoteRequest.safeParse(gen()).success).toBe(true);
  });
  it('prices every filter preset of the default book and refuses over-limit images', () => {
    expect(
      quote(defaultPriceBook, { tool: 'filter', preset: 'sepia', width: 800, height: 600 }).credits,
    ).toBe(1);
    expect(
      errorCode(() => quote(defaultPriceBook, { tool: 'cutout', width: 8000, height: 6000 })),
    ).toBe('too-many-pixels');
  });
});

describe('upscale quality tiers', () => {
  const up = { tool: 'upscale', factor: 4, width: 960, height: 540 } as const;
  it('prices the best tier at its multiplier on the default book, with a line saying so', () => {
    const fast = quote(defaultPriceBook, { ...up, tier: 'fast' });
    const best = quote(defaultPriceBook, { ...up, tier: 'best' });
    expect([fast.credits, best.credits]).toEqual([3, 6]);
    expect(best.lines.map((l) => l.label)).toEqual(['Upscale ×4 to 3840×2160', 'Best ×2']);
    // No tier is the fast tier.
    expect(quote(defaultPriceBook, up).credits).toBe(fast.credits);
  });
  it('rounds a fractional multiplier once with the book rule', () => {
    const book: PriceBook = {
      ...defaultPriceBook,
      tools: {
        ...defaultPriceBook.tools,
        upscale: {
          factors: { '4': { type: 'flat', credits: 3 } },
          tiers: { best: { label: 'Best', multiplier: { num: 3, den: 2 } } },
        },
      },
    };
    expect(PriceBook.safeParse(book).success).toBe(true);
    expect(quote(book, { ...up, tier: 'best' }).credits).toBe(5);
    // A book that lists tiers offers only those.
    expect(errorCode(() => quote(book, { ...up, tier: 'fast' }))).toBe('unsupported-tier');
  });
  it('a book without tiers offers only the fast tier, at the factor price', () => {
    expect(quote(resolutionTiersBook, { ...up, tier: 'fast' }).credits).toBe(3);
    expect(errorCode(() => quote(resolutionTiersBook, { ...up, tier: 'best' }))).toBe(
      'unsupported-tier',
    );
  });
  it('refuses unknown tiers in requests and books', () => {
    expect(QuoteRequest.safeParse({ ...up, tier: 'ultra' }).success).toBe(false);
    const bad = {
      ...defaultPriceBook,
      tools: {
        upscale: {
          factors: {},
          tiers: { ultra: { label: 'Ultra', multiplier: { num: 3, den: 1 } } },
        },
      },
    };
    expect(PriceBook.safeParse(bad).success).toBe(false);
  });
});
