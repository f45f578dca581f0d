/**
 * A job's hold is resolved inside the same ledger write that changes the job's state, so the
 * ledger and the job can never disagree (a crash leaves both as they were). These helpers append
 * the capture or release entry; the hold may already have lapsed, which the caller must handle.
 * A team run's entries carry its member and project, and close the hold's budget charge at what
 * was captured, or 0 (docs/architecture.md §14).
 */
import type { TeamTag } from '../../shared/ledger/entry';
import { planCapture } from '../../shared/wallet/plan';
import type { WriteContext } from '../ledger/ledger-service';
import { settleCharge } from '../teams/budgets';
import type { JobRow } from './job-store';

export type ReleaseReason = 'failed' | 'cancelled' | 'discarded';

/** 'done' when the entry was appended (or there is no hold); 'lapsed' when the hold is no longer open. */
export type HoldOutcome = 'done' | 'lapsed';

function openHold(ctx: WriteContext, job: JobRow) {
  if (job.hold_id === null) return null;
  const hold = ctx.fold.hold(job.hold_id);
  return hold?.status === 'open' ? hold : undefined;
}

const teamTag = (job: JobRow): { team?: TeamTag } =>
  job.team_id === null ? {} : { team: { memberId: job.account_id, projectId: job.project_id } };

async function closeCharge(ctx: WriteContext, job: JobRow, holdId: string, final: number) {
  if (job.team_id !== null) await settleCharge(ctx.tx, job.team_id, holdId, final);
}

export async function captureHold(
  ctx: WriteContext,
  job: JobRow,
  amount: number,
): Promise<HoldOutcome> {
  const hold = openHold(ctx, job);
  if (hold === null) return 'done';
  if (hold === undefined) return 'lapsed';
  ctx.append({
    type: 'capture',
    operationId: `${job.id}:capture`,
    holdId: hold.holdId,
    amount,
    splits: planCapture(hold, amount),
    ...teamTag(job),
  });
  ctx.clearTimer(hold.holdId);
  await closeCharge(ctx, job, hold.holdId, amount);
  return 'done';
}

export async function releaseHold(
  ctx: WriteContext,
  job: JobRow,
  reason: ReleaseReason,
): Promise<HoldOutcome> {
  const hold = openHold(ctx, job);
  if (hold === null) return 'done';
  if (hold === undefined) return 'lapsed';
  ctx.append({
    type: 'release',
    operationId: `${job.id}:release`,
    holdId: hold.holdId,
    amount: hold.amount,
    reason,
    ...teamTag(job),
  });
  ctx.clearTimer(hold.holdId);
  await closeCharge(ctx, job, hold.holdId, 0);
  return 'done';
}
