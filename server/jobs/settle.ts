/**
 * A job's hold is resolved inside the same ledger write that changes the job's state, so the
 * ledger and the job can never disagree (a crash leaves both as they were). These helpers append
 * the capture or release entry; the hold may already have lapsed, which the caller must handle.
 */
import { planCapture } from '../../shared/wallet/plan';
import type { WriteContext } from '../ledger/ledger-service';
import type { JobRow } from './job-store';

export type ReleaseReason = 'failed' | 'cancelled' | 'discarded';

/** 'done' when the entry was appended (or there is no hold); 'lapsed' when the hold is no longer open. */
export type HoldOutcome = 'done' | 'lapsed';

function openHold(ctx: WriteContext, job: JobRow) {
  if (job.hold_id === null) return null;
  const hold = ctx.fold.hold(job.hold_id);
  return hold?.status === 'open' ? hold : undefined;
}

export function captureHold(ctx: WriteContext, job: JobRow, amount: number): HoldOutcome {
  const hold = openHold(ctx, job);
  if (hold === null) return 'done';
  if (hold === undefined) return 'lapsed';
  ctx.append({
    type: 'capture',
    operationId: `${job.id}:capture`,
    holdId: hold.holdId,
    amount,
    splits: planCapture(hold, amount),
  });
  ctx.clearTimer(hold.holdId);
  return 'done';
}

export function releaseHold(ctx: WriteContext, job: JobRow, reason: ReleaseReason): HoldOutcome {
  const hold = openHold(ctx, job);
  if (hold === null) return 'done';
  if (hold === undefined) return 'lapsed';
  ctx.append({
    type: 'release',
    operationId: `${job.id}:release`,
    holdId: hold.holdId,
    amount: hold.amount,
    reason,
  });
  ctx.clearTimer(hold.holdId);
  return 'done';
}
