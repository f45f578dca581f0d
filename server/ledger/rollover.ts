import type { BucketSpec, EntryDraft, Split } from '../../shared/ledger/entry';
import { compareSpendingOrder } from '../../shared/wallet/allocate';
import type { WalletState } from '../../shared/wallet/types';
import { DAY, plusMs } from '../clock';
import { type WriteContext, priorityOf } from './ledger-service';

/** What a plan says about rolling credits over (the catalog's plan fields). */
interface RolloverPolicy {
  planId: string;
  kind: string;
  /** The most rollover buckets may hold in all after the renewal; 0: nothing rolls over. */
  cap: number;
  expiresAfterDays: number;
}

/**
 * The rollover entry of a renewal (docs/architecture.md §2, rollover), or null when there is
 * nothing to move or end. The previous period's plan credits end at the renewal: what is unused
 * (live and not earmarked by a hold) moves into one rollover bucket, as much as the cap leaves
 * room for next to the rollover credits still live; the rest ends unused. Plan buckets are taken
 * in spending order, so the credits that would have been spent first move first. Deterministic:
 * the same state and renewal always give the same entry.
 */
function planRollover(
  state: WalletState,
  policy: RolloverPolicy,
  renewal: { purchaseId: string; now: string },
): EntryDraft<'rollover'> | null {
  if (policy.cap <= 0) return null;
  const live = state.buckets.filter((b) => b.kind === policy.kind && b.live);
  const plan = live.filter((b) => b.source === 'plan' && b.free > 0).sort(compareSpendingOrder);
  if (plan.length === 0) return null;
  const rolledAlready = live
    .filter((b) => b.source === 'rollover')
    .reduce((n, b) => n + b.remaining, 0);
  let room = Math.max(0, policy.cap - rolledAlready);
  const splits: Split[] = [];
  const ended: Split[] = [];
  let costBasis = 0;
  for (const b of plan) {
    const move = Math.min(room, b.free);
    if (move > 0) {
      splits.push({ bucketId: b.bucketId, amount: move });
      // The moved credits keep their share of what was paid for them (rounded down).
      costBasis += Math.floor((b.costBasisCents * move) / b.amount);
      room -= move;
    }
    if (b.free > move) ended.push({ bucketId: b.bucketId, amount: b.free - move });
  }
  const amount = splits.reduce((n, s) => n + s.amount, 0);
  const bucket: BucketSpec | null =
    amount > 0
      ? {
          bucketId: `${renewal.purchaseId}:rollover`,
          kind: policy.kind,
          source: 'rollover',
          amount,
          costBasisCents: costBasis,
          effectiveAt: renewal.now,
          expiresAt: plusMs(renewal.now, policy.expiresAfterDays * DAY),
          priority: priorityOf('rollover'),
        }
      : null;
  return {
    type: 'rollover',
    operationId: `${renewal.purchaseId}:rollover`,
    planId: policy.planId,
    purchaseId: renewal.purchaseId,
    kind: policy.kind,
    amount,
    splits,
    cap: policy.cap,
    ended,
    bucket,
  };
}

/**
 * Appends the rollover a paid plan month starts with (before its own credits), when the plan
 * rolls credits over; returns the entry's seq, or null when nothing was written.
 */
export function appendRollover(
  ctx: WriteContext,
  plan: {
    itemId: string;
    creditKind: string;
    rolloverCap: number;
    rolloverExpiresAfterDays: number;
  },
  purchaseId: string,
): number | null {
  const draft = planRollover(
    ctx.state(),
    {
      planId: plan.itemId,
      kind: plan.creditKind,
      cap: plan.rolloverCap,
      expiresAfterDays: plan.rolloverExpiresAfterDays,
    },
    { purchaseId, now: ctx.now },
  );
  return draft ? ctx.append(draft).seq : null;
}
