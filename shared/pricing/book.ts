import { z } from 'zod';
import { CreditKind, Id, Timestamp } from '../ledger/primitives';
import { Rounding } from './rounding';

const Credits = z.int().min(0).max(1_000_000);
const Side = z.int().min(1).max(65_536);

/** A multiplier as an exact ratio: 1.5× is {num: 3, den: 2}. */
export const Ratio = z.strictObject({
  num: z.int().min(1).max(1000),
  den: z.int().min(1).max(1000),
});
export type Ratio = z.infer<typeof Ratio>;

/** How much one output costs, by its size (and steps where the rule looks at them). */
export const SizeRule = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('flat'), credits: Credits }),
  /** Exact sizes, each with a step ladder: the first rung whose maxSteps ≥ steps applies. */
  z.strictObject({
    type: z.literal('matrix'),
    cells: z
      .array(
        z.strictObject({
          width: Side,
          height: Side,
          steps: z
            .array(z.strictObject({ maxSteps: z.int().min(1).max(10_000), credits: Credits }))
            .min(1),
        }),
      )
      .min(1),
  }),
  /** Resolution tiers by pixel count: the first tier whose maxPixels ≥ width × height applies. */
  z.strictObject({
    type: z.literal('tiers'),
    tiers: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(20),
          maxPixels: z.int().min(1),
          credits: Credits,
        }),
      )
      .min(1),
  }),
]);
export type SizeRule = z.infer<typeof SizeRule>;

export const FilterPresets = [
  'mono',
  'sepia',
  'vivid',
  'cinematic',
  'sketch',
  'posterize',
  'pixelate',
  'blur',
  'sharpen',
] as const;

/** Quality tiers of the upscale: 'fast' and 'best' (which models they run: docs/architecture.md §8). */
export const UpscaleTiers = ['fast', 'best'] as const;
export type UpscaleTier = (typeof UpscaleTiers)[number];

export const PriceBook = z.strictObject({
  /** Increases with every published change; a quote names the version it came from. */
  version: z.int().min(1),
  name: z.string().min(1).max(100),
  publishedAt: Timestamp,
  /** The credit kind every tool here is paid in. */
  currency: CreditKind,
  rounding: Rounding,
  tools: z.strictObject({
    generate: z
      .strictObject({
        modes: z.array(z.enum(['text-to-image', 'image-to-image'])).min(1),
        perImage: SizeRule,
        counts: z.array(z.int().min(1).max(16)).min(1),
        maxSteps: z.int().min(1).max(10_000),
        /** Model id → multiplier on the per-image price (rounded per image). */
        models: z.record(
          Id,
          z.strictObject({ label: z.string().min(1).max(80), multiplier: Ratio }),
        ),
      })
      .optional(),
    filter: z
      .strictObject({ presets: z.array(z.enum(FilterPresets)).min(1), price: SizeRule })
      .optional(),
    /**
     * Factor → rule applied to the output size. `tiers`: the quality tiers offered, each a
     * multiplier on that price (rounded once); a book without it offers only the fast tier, at
     * the factor's price.
     */
    upscale: z
      .strictObject({
        factors: z.partialRecord(z.enum(['2', '4', '8']), SizeRule),
        tiers: z
          .partialRecord(
            z.enum(UpscaleTiers),
            z.strictObject({ label: z.string().min(1).max(80), multiplier: Ratio }),
          )
          .optional(),
      })
      .optional(),
    cutout: z.strictObject({ price: SizeRule }).optional(),
    faceEnhance: z.strictObject({ price: SizeRule }).optional(),
  }),
  designs: z.strictObject({ creditsPerDollar: z.int().min(1).max(1_000_000) }).optional(),
  refunds: z
    .strictObject({
      /** Per disliked generated image: a fixed amount, or what the image cost. */
      dislikedImage: z.discriminatedUnion('type', [
        z.strictObject({ type: z.literal('fixed'), credits: Credits }),
        z.strictObject({ type: z.literal('image-price') }),
      ]),
      windowHours: z
        .int()
        .min(1)
        .max(24 * 30),
    })
    .optional(),
  /** Upper bound on input and output pixels the server accepts. */
  maxPixels: z.int().min(1).max(200_000_000),
});
export type PriceBook = z.infer<typeof PriceBook>;
