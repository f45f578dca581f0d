import { z } from 'zod';

/** How a fractional credit amount becomes an integer. Every division in pricing goes through here. */
export const Rounding = z.enum(['ceil', 'floor', 'half-up']);
export type Rounding = z.infer<typeof Rounding>;

/** n / d rounded by `rule`, for non-negative safe integers n and positive d. Pure integer maths. */
export function divide(n: number, d: number, rule: Rounding): number {
  const q = Math.floor(n / d);
  const r = n - q * d;
  if (r === 0) return q;
  switch (rule) {
    case 'floor':
      return q;
    case 'ceil':
      return q + 1;
    case 'half-up':
      return 2 * r >= d ? q + 1 : q;
  }
}
