import { z } from 'zod';
import { SignedVoucher } from '../../shared/api/ledger';

export const VoucherRecord = z.strictObject({
  signed: SignedVoucher,
  status: z.enum(['pending', 'settled', 'rejected']),
  code: z.string().nullable(),
  message: z.string().nullable(),
});
export type VoucherRecord = z.infer<typeof VoucherRecord>;

/** The device's allowance as kept on disk; the counter is written before each signature. */
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
      vouchers: z.array(VoucherRecord),
    })
    .nullable(),
});
export type AllowanceFile = z.infer<typeof AllowanceFile>;
