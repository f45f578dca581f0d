import { z } from 'zod';

/**
 * Who made an operator entry: the name given to the admin CLI's `--operator`, carried in the
 * signed entry so History and an audit can say who did it (docs/architecture.md §2).
 */
export const OperatorName = z
  .string()
  .min(2)
  .max(80)
  .regex(/^[\p{L}\p{N} ._@'-]+$/u, "an operator name uses letters, digits, spaces and . _ @ ' -");
export type OperatorName = z.infer<typeof OperatorName>;
