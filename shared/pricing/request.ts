import { z } from 'zod';
import { Id } from '../ledger/primitives';
import { FilterPresets, UpscaleTiers } from './book';

const Side = z.int().min(1).max(65_536);

const GenerateRequest = z.strictObject({
  tool: z.literal('generate'),
  mode: z.enum(['text-to-image', 'image-to-image']),
  width: Side,
  height: Side,
  steps: z.int().min(1).max(10_000),
  model: Id,
  count: z.int().min(1).max(16),
});

export const QuoteRequest = z.discriminatedUnion('tool', [
  GenerateRequest,
  z.strictObject({
    tool: z.literal('filter'),
    preset: z.enum(FilterPresets),
    width: Side,
    height: Side,
  }),
  z.strictObject({
    tool: z.literal('upscale'),
    factor: z.union([z.literal(2), z.literal(4), z.literal(8)]),
    width: Side,
    height: Side,
    /** The quality tier (default 'fast'). */
    tier: z.enum(UpscaleTiers).optional(),
  }),
  z.strictObject({ tool: z.literal('cutout'), width: Side, height: Side }),
  z.strictObject({ tool: z.literal('face-enhance'), width: Side, height: Side }),
  z.strictObject({
    tool: z.literal('design'),
    designId: Id,
    priceCents: z.int().min(0).max(100_000_000),
  }),
]);
export type QuoteRequest = z.infer<typeof QuoteRequest>;

export interface QuoteLine {
  label: string;
  credits: number;
}

export interface Quote {
  credits: number;
  currency: string;
  lines: QuoteLine[];
  priceBookVersion: number;
}
