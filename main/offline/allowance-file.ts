import { z } from 'zod';
import { SignedVoucher } from '../../shared/api/ledger';

const LegacyVoucher = z.strictObject({
  signed: SignedVoucher,
  status: z.enum(['pending', 'settled', 'rejected']),
  code: z.string().nullable(),
  message: z.string().nullable(),
});

/**
 * The allowance file of earlier versions (`allowance-<device>.json`), read only to import it
 * into the device state store (main/offline/legacy-import.ts).
 */
export const AllowanceFile = z.strictObject({
  /** A take request in flight: its operation id is reused on retry, so it is taken once. */
  pendingTake: z
    .strictObject({ operationId: z.string(), amount: z.int(), ttlSeconds: z.int() })
    .nullable(),
  allowance: z
    .strictObject({
      allowanceId: z.string(),
      kind: z.string(),
      amount: z.int(),
      expiresAt: z.string(),
      status: z.enum(['open', 'closed']),
      /** The last counter used (reserved before signing, never reused). */
      counter: z.int().min(0),
      vouchers: z.array(LegacyVoucher),
    })
    .nullable(),
});
export type AllowanceFile = z.infer<typeof AllowanceFile>;
