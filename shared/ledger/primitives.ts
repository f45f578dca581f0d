import { z } from 'zod';

/** Amounts are integers far below 2^53 (docs/architecture.md §3). A trillion credits is plenty. */
export const MAX_AMOUNT = 1_000_000_000_000;

export const Amount = z.int().min(1).max(MAX_AMOUNT);
export const NonNegativeAmount = z.int().min(0).max(MAX_AMOUNT);
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'ids use letters, digits and . _ : @ -');
export const CreditKind = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a credit kind is a short lowercase name such as "image"');
/** Timestamps are ISO-8601 UTC strings with milliseconds, so they also sort as text. */
export const Timestamp = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    'timestamps look like 2026-11-21T10:00:00.000Z',
  );
export const Hash = z.string().regex(/^[0-9a-f]{64}$/, 'a hash is 64 lowercase hex digits');
export const Reason = z.string().min(1).max(500);

export type CreditKind = z.infer<typeof CreditKind>;
export type Timestamp = z.infer<typeof Timestamp>;

export const GENESIS_HASH = '0'.repeat(64);
