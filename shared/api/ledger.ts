import { z } from 'zod';
import { SignedCheckpoint } from '../ledger/checkpoint';
import { Purpose, Voucher, WireEntry } from '../ledger/entry';
import { Amount, CreditKind, Id } from '../ledger/primitives';
import { OperationId } from './common';

export const PullQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
export const PullResponse = z.strictObject({
  entries: z.array(WireEntry),
  /** Signed at the last entry of this batch (or at `after` for an empty batch). */
  checkpoint: SignedCheckpoint,
  /** The account's head seq now: more batches follow while it is above the checkpoint's. */
  headSeq: z.int().min(0),
});
export type PullResponse = z.infer<typeof PullResponse>;

export const BalanceResponse = z.strictObject({
  seq: z.int(),
  balances: z.record(
    CreditKind,
    z.strictObject({
      balance: z.int(),
      held: z.int(),
      reserved: z.int(),
      available: z.int(),
      debt: z.int(),
    }),
  ),
});
export type BalanceResponse = z.infer<typeof BalanceResponse>;

export const HoldRequest = z.strictObject({
  operationId: OperationId,
  kind: CreditKind.default('image'),
  amount: Amount,
  purpose: Purpose,
  /** Defaults to 15 minutes; at most a day. */
  ttlSeconds: z.int().min(10).max(86_400).optional(),
});
export const CaptureRequest = z.strictObject({
  operationId: OperationId,
  amount: z.int().min(0).max(1_000_000_000_000),
});
export const ReleaseRequest = z.strictObject({
  operationId: OperationId,
  reason: z.enum(['released', 'cancelled', 'failed', 'discarded']).default('released'),
});
export const HoldResponse = z.strictObject({
  holdId: Id,
  seq: z.int(),
  amount: z.int(),
  expiresAt: z.string(),
  status: z.enum(['open', 'captured', 'released']),
});
export type HoldResponse = z.infer<typeof HoldResponse>;

export const AllowanceRequest = z.strictObject({
  operationId: OperationId,
  deviceId: Id,
  kind: CreditKind.default('image'),
  amount: Amount.max(100_000),
  ttlSeconds: z
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(7 * 86_400),
});
export const AllowanceResponse = z.strictObject({
  allowanceId: Id,
  deviceId: Id,
  kind: CreditKind,
  amount: z.int(),
  settled: z.int(),
  expiresAt: z.string(),
  status: z.enum(['open', 'closed']),
  seq: z.int(),
});
export type AllowanceResponse = z.infer<typeof AllowanceResponse>;

/** A voucher as the device signed it. */
export const SignedVoucher = z.strictObject({
  voucher: Voucher,
  signature: z.string().regex(/^[0-9a-f]{128}$/),
});
export type SignedVoucher = z.infer<typeof SignedVoucher>;

export const VoucherOutcome = z.strictObject({
  counter: z.int(),
  status: z.enum(['settled', 'already-settled', 'rejected']),
  code: z.string().optional(),
  message: z.string().optional(),
});
export type VoucherOutcome = z.infer<typeof VoucherOutcome>;

/** Device mutations pushed in order (docs/architecture.md §4). */
export const Mutation = z.strictObject({
  mutationSeq: z.int().min(1),
  operationId: OperationId,
  op: z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('settle-vouchers'),
      allowanceId: Id,
      vouchers: z.array(SignedVoucher).min(1).max(500),
    }),
    z.strictObject({ type: z.literal('return-allowance'), allowanceId: Id }),
    z.strictObject({ type: z.literal('dislike'), itemId: Id }),
  ]),
});
export type Mutation = z.infer<typeof Mutation>;
export const PushRequest = z.strictObject({
  deviceId: Id,
  mutations: z.array(Mutation).min(1).max(200),
});
export const PushResponse = z.strictObject({
  /** The last mutation seq the server has applied (or rejected) for this device. */
  lastMutationSeq: z.int(),
  results: z.array(
    z.strictObject({
      mutationSeq: z.int(),
      status: z.enum(['applied', 'replayed', 'rejected', 'skipped']),
      message: z.string().optional(),
      vouchers: z.array(VoucherOutcome).optional(),
    }),
  ),
});
export type PushResponse = z.infer<typeof PushResponse>;
