import { z } from 'zod';
import { OperatorName } from './operator';
import { Amount, CreditKind, Hash, Id, NonNegativeAmount, Reason, Timestamp } from './primitives';

/** Where a bucket's credits came from (docs/architecture.md §2). */
export const BucketSource = z.enum([
  'daily',
  'plan',
  'pack',
  'bonus',
  'promo',
  'signup',
  'refund',
  'adjustment',
  /** A free plan's credits of one calendar month (docs/architecture.md §2, monthly credits). */
  'monthly',
  /** Unused plan credits carried over at a renewal (docs/architecture.md §2, rollover). */
  'rollover',
]);
export type BucketSource = z.infer<typeof BucketSource>;

/** A bucket as created by a grant, purchase or refund entry. */
export const BucketSpec = z.strictObject({
  bucketId: Id,
  kind: CreditKind,
  source: BucketSource,
  amount: Amount,
  /** What the user paid for these credits, in the purchase currency's minor units; 0 when free. */
  costBasisCents: NonNegativeAmount,
  effectiveAt: Timestamp,
  /** null: never expires. */
  expiresAt: Timestamp.nullable(),
  /** Lower spends first (docs/architecture.md §2, spending order). */
  priority: z.int().min(0).max(1000),
});
export type BucketSpec = z.infer<typeof BucketSpec>;

/** How an amount split across buckets. */
export const Split = z.strictObject({ bucketId: Id, amount: Amount });
export type Split = z.infer<typeof Split>;
const Splits = z.array(Split).min(1).max(10_000);

/** What a spend or hold paid for. */
/** Words for History carried in the signed entry; optional, so entries written before stay valid. */
const Summary = z.string().min(1).max(120);

export const Purpose = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('job'),
    jobId: Id,
    tool: z.string().min(1).max(40),
    /** The prompt excerpt or the settings ("Upscale ×2 (best)"), shared/ledger/summary.ts. */
    summary: Summary.optional(),
  }),
  z.strictObject({ kind: z.literal('design'), designId: Id, title: Summary.optional() }),
  z.strictObject({
    kind: z.literal('revoke'),
    reason: Reason,
    /** Who took the credits back (docs/architecture.md §2, operator controls); absent before. */
    operator: OperatorName.optional(),
  }),
]);
export type Purpose = z.infer<typeof Purpose>;

/**
 * On a team wallet's entries: the member who acted and the project the credits went to
 * (docs/architecture.md §14). Optional, so every entry written before teams stays valid.
 */
export const TeamTag = z.strictObject({ memberId: Id, projectId: Id.nullable() });
export type TeamTag = z.infer<typeof TeamTag>;
const team = TeamTag.optional();

const base = {
  v: z.literal(1),
  accountId: Id,
  seq: z.int().min(1),
  at: Timestamp,
  operationId: Id,
};

const GrantBody = z.strictObject({
  ...base,
  type: z.literal('grant'),
  bucket: BucketSpec,
  reason: Reason,
  /** The operator who granted it (docs/architecture.md §2, operator controls); absent otherwise. */
  operator: OperatorName.optional(),
});

const PurchaseBody = z.strictObject({
  ...base,
  type: z.literal('purchase'),
  purchaseId: Id,
  provider: z.enum(['stripe', 'sandbox']),
  paymentRef: z.string().min(1).max(200),
  itemId: Id,
  priceCents: NonNegativeAmount,
  currency: z.string().regex(/^[a-z]{3}$/),
  /** The catalog item's name and type when bought (absent on entries written before). */
  itemTitle: Summary.optional(),
  itemType: z.enum(['pack', 'plan']).optional(),
  /** The paid bucket, and a separate free bonus bucket when the pack has one. */
  buckets: z.array(BucketSpec).min(1).max(4),
});

const SpendBody = z.strictObject({
  ...base,
  type: z.literal('spend'),
  kind: CreditKind,
  amount: Amount,
  splits: Splits,
  purpose: Purpose,
  team,
});

const HoldBody = z.strictObject({
  ...base,
  type: z.literal('hold'),
  holdId: Id,
  kind: CreditKind,
  amount: Amount,
  splits: Splits,
  expiresAt: Timestamp,
  purpose: Purpose,
  team,
});

const CaptureBody = z.strictObject({
  ...base,
  type: z.literal('capture'),
  holdId: Id,
  /** May be less than held (e.g. fewer images than asked); the rest returns. */
  amount: NonNegativeAmount,
  splits: z.array(Split).max(10_000),
  team,
});

const ReleaseReason = z.enum(['released', 'cancelled', 'failed', 'discarded', 'expired']);
const ReleaseBody = z.strictObject({
  ...base,
  type: z.literal('release'),
  holdId: Id,
  amount: Amount,
  reason: ReleaseReason,
  team,
});

const RefundBody = z.strictObject({
  ...base,
  type: z.literal('refund'),
  /** The item refunded (e.g. one generated image); refunded at most once. */
  itemId: Id,
  /** The hold or spend that paid for the item. */
  paidBy: Id,
  kind: CreditKind,
  amount: Amount,
  /** Back to the buckets that paid, where they are still live. */
  splits: z.array(Split).max(10_000),
  /** What could not go back to an expired bucket lands here. */
  newBucket: BucketSpec.nullable(),
  reason: Reason,
});

const ExpireBody = z.strictObject({
  ...base,
  type: z.literal('expire'),
  bucketId: Id,
  kind: CreditKind,
  amount: Amount,
});

const ReversalBody = z.strictObject({
  ...base,
  type: z.literal('reversal'),
  purchaseId: Id,
  reason: z.enum(['refunded', 'disputed', 'revoked']),
  kind: CreditKind,
  amount: Amount,
  /** Taken from the purchase's own buckets while they have credits left. */
  splits: z.array(Split).max(10_000),
  /** What those buckets no longer had because it was spent: owed, so the balance goes below zero. */
  shortfall: NonNegativeAmount,
  /** What those buckets lost to expiry: gone already, so not owed. */
  forfeited: NonNegativeAmount.default(0),
});

const ReserveBody = z.strictObject({
  ...base,
  type: z.literal('reserve'),
  allowanceId: Id,
  deviceId: Id,
  devicePublicKey: z.string().regex(/^[0-9a-f]{64}$/),
  kind: CreditKind,
  amount: Amount,
  splits: Splits,
  expiresAt: Timestamp,
  team,
});

/**
 * On a voucher spent from a team allowance: the team wallet, the member whose device signed it
 * and the project it was for (docs/architecture.md §5, §14). Absent on personal vouchers.
 */
const VoucherTeam = z.strictObject({ teamId: Id, memberId: Id, projectId: Id.nullable() });

export const Voucher = z.strictObject({
  allowanceId: Id,
  counter: z.int().min(1).max(1_000_000),
  amount: Amount,
  itemId: Id,
  /** Design redeemed offline, or similar. */
  purpose: Purpose,
  at: Timestamp,
  team: VoucherTeam.optional(),
});
export type Voucher = z.infer<typeof Voucher>;

const SettleBody = z.strictObject({
  ...base,
  type: z.literal('settle'),
  allowanceId: Id,
  vouchers: z.array(Voucher).min(1).max(1000),
  amount: Amount,
  splits: Splits,
  team,
});

const UnreserveBody = z.strictObject({
  ...base,
  type: z.literal('unreserve'),
  allowanceId: Id,
  amount: NonNegativeAmount,
  reason: z.enum(['expired', 'returned']),
  team,
});

const RejectionBody = z.strictObject({
  ...base,
  type: z.literal('rejection'),
  deviceId: Id,
  /** The device mutation refused, or null when the refusal came from a direct request. */
  mutationSeq: z.int().min(1).nullable(),
  code: z.string().min(1).max(64),
  message: Reason,
});

/**
 * An operator moves a live bucket's expiry, earlier or later (docs/architecture.md §2, operator
 * controls). `previousExpiresAt` must be the bucket's expiry as folded so far.
 */
const ExpiryAdjustmentBody = z.strictObject({
  ...base,
  type: z.literal('adjust-expiry'),
  bucketId: Id,
  kind: CreditKind,
  previousExpiresAt: Timestamp.nullable(),
  /** null: never expires. */
  expiresAt: Timestamp.nullable(),
  operator: OperatorName,
  reason: Reason,
});

/**
 * A team budget set or cleared (docs/architecture.md §14): a monthly limit in credits for one
 * member or one project of the team whose wallet this chain is, and the member who set it.
 * Moves no credits.
 */
const BudgetBody = z.strictObject({
  ...base,
  type: z.literal('budget'),
  scope: z.enum(['member', 'project']),
  subjectId: Id,
  monthly: Amount.nullable(),
  setBy: Id,
});

/**
 * A plan renewal ends the previous period's plan credits (docs/architecture.md §2, rollover):
 * what is unused moves into one new rollover bucket, up to the plan's cap; the rest ends
 * unused. Credits that open holds earmark stay where they are.
 */
const RolloverBody = z.strictObject({
  ...base,
  type: z.literal('rollover'),
  /** The plan renewed, and the purchase of the renewal that triggered the rollover. */
  planId: Id,
  purchaseId: Id,
  kind: CreditKind,
  /** Credits moved into `bucket` (0 when the cap left no room). */
  amount: NonNegativeAmount,
  /** Taken from the plan buckets, per bucket; sums to `amount`. */
  splits: z.array(Split).max(10_000),
  /** The most a renewal may leave in rollover buckets altogether. */
  cap: NonNegativeAmount,
  /** Ended unused beyond the cap, per bucket: gone, like an expiry. */
  ended: z.array(Split).max(10_000),
  /** The rollover bucket (source `rollover`); null when nothing moved. */
  bucket: BucketSpec.nullable(),
});

export const EntryBody = z.discriminatedUnion('type', [
  GrantBody,
  PurchaseBody,
  SpendBody,
  HoldBody,
  CaptureBody,
  ReleaseBody,
  RefundBody,
  ExpireBody,
  ReversalBody,
  ReserveBody,
  SettleBody,
  UnreserveBody,
  RejectionBody,
  ExpiryAdjustmentBody,
  BudgetBody,
  RolloverBody,
]);
export type EntryBody = z.infer<typeof EntryBody>;
type EntryType = EntryBody['type'];
export type EntryOf<T extends EntryType> = Extract<EntryBody, { type: T }>;
export type EntryDraft<T extends EntryType = EntryType> = T extends EntryType
  ? Omit<EntryOf<T>, 'v' | 'accountId' | 'seq' | 'at'>
  : never;

/** One entry as stored and sent: the exact body text that was hashed, and its hash. */
export const WireEntry = z.strictObject({
  seq: z.int().min(1),
  hash: Hash,
  body: z.string().min(2).max(1_000_000),
});
export type WireEntry = z.infer<typeof WireEntry>;

/** A wire entry whose body has been parsed and schema-checked. */
export interface LedgerEntry extends WireEntry {
  data: EntryBody;
}
