/**
 * Every change of a job's state after it was queued, each in one ledger write of its account
 * together with the capture or release it implies, on the locked job row. A change that is no
 * longer possible (the job moved on meanwhile, e.g. a cancel racing a finish) changes nothing,
 * so each hold is resolved exactly once whichever path gets there first.
 */
import type { JobState } from '../../shared/api/jobs';
import { GenerateJobParams } from '../../shared/api/jobs';
import { notFound } from '../http/errors';
import type { LedgerService, WriteContext } from '../ledger/ledger-service';
import { recordItem } from '../ledger/refund-service';
import type { EngineOutcome, JobFailure } from './engine-run';
import { reconcileCharges } from '../teams/budgets';
import {
  type JobChange,
  type JobRow,
  type OutputRow,
  activeStates,
  jobStore,
  walletOf,
} from './job-store';
import { captureHold, releaseHold } from './settle';

export const failures = {
  interrupted: {
    code: 'interrupted',
    message: 'the server stopped before the job finished; nothing was charged',
  },
  shutdown: {
    code: 'shutdown',
    message: 'the server was shut down while the job waited or ran; nothing was charged',
  },
  holdExpired: {
    code: 'hold-expired',
    message: 'the job outlived its hold; nothing was charged',
  },
  /** A team run whose maker left or was removed meanwhile: removal released its hold (§14). */
  teamHoldReleased: {
    code: 'team-hold-released',
    message: 'the team released this run’s hold when its member left the team; nothing was charged',
  },
} satisfies Record<string, JobFailure>;

/** 'ok' when the change was made (or had been made already), else the state that prevented it. */
export type Outcome = 'ok' | JobState;

const isActive = (job: JobRow): boolean => activeStates.includes(job.state);

export class JobTransitions {
  constructor(
    private readonly ledger: LedgerService,
    /** Called after each change has committed (to tell the job's watchers). */
    private readonly changed: (jobId: string) => Promise<void>,
  ) {}

  /**
   * Runs `fn` on the locked job inside a ledger write of the account that holds its hold (a team
   * run's: the team's wallet, whose charges the ledger resolved on its own are closed first).
   */
  async apply<T>(row: JobRow, fn: (ctx: WriteContext, job: JobRow) => Promise<T>): Promise<T> {
    const r = await this.ledger.write(walletOf(row), null, async (ctx) => {
      const job = await jobStore.lock(ctx.tx, row.id);
      if (!job) throw notFound('job');
      if (job.team_id !== null) await reconcileCharges(ctx, job.team_id);
      return { status: 200, body: await fn(ctx, job) };
    });
    // Only the live event is missed: the job is stored, and SSE re-reads it every few seconds.
    await this.changed(row.id).catch(() => undefined);
    return r.body;
  }

  /** Fails a queued or running job and releases its hold; false when it had moved on. */
  fail(row: JobRow, failure: JobFailure): Promise<boolean> {
    return this.apply(row, async (ctx, job) => {
      if (!isActive(job)) return false;
      await releaseHold(ctx, job, 'failed');
      await this.finish(ctx, job, { state: 'failed', charged: 0, error: failure });
      return true;
    });
  }

  cancel(row: JobRow): Promise<Outcome> {
    return this.apply(row, async (ctx, job) => {
      if (job.state === 'cancelled') return 'ok';
      if (!isActive(job)) return job.state;
      await releaseHold(ctx, job, 'cancelled');
      await this.finish(ctx, job, { state: 'cancelled', charged: 0 });
      return 'ok';
    });
  }

  /** Cutout: keep the result and pay what was held; 'expired' when the hold lapsed first. */
  confirm(row: JobRow): Promise<Outcome> {
    return this.apply(row, async (ctx, job) => {
      if (job.state === 'confirmed') return 'ok';
      if (job.state !== 'awaiting-confirm') return job.state;
      if ((await captureHold(ctx, job, job.credits)) === 'lapsed') {
        await this.finish(ctx, job, { state: 'expired', charged: 0 });
        return 'expired';
      }
      await this.finish(ctx, job, { state: 'confirmed', charged: job.credits });
      return 'ok';
    });
  }

  /** Cutout: reject the result and release the hold; 'expired' when it lapsed first. */
  discard(row: JobRow): Promise<Outcome> {
    return this.apply(row, async (ctx, job) => {
      if (job.state === 'discarded') return 'ok';
      if (job.state !== 'awaiting-confirm') return job.state;
      if ((await releaseHold(ctx, job, 'discarded')) === 'lapsed') {
        await this.finish(ctx, job, { state: 'expired', charged: 0 });
        return 'expired';
      }
      await this.finish(ctx, job, { state: 'discarded', charged: 0 });
      return 'ok';
    });
  }

  /** A cutout left unconfirmed: expired once its hold has lapsed (the write releases a due hold). */
  expire(row: JobRow): Promise<boolean> {
    return this.apply(row, async (ctx, job) => {
      if (job.state !== 'awaiting-confirm' || job.hold_id === null) return false;
      if (ctx.fold.hold(job.hold_id)?.status === 'open') return false;
      await this.finish(ctx, job, { state: 'expired', charged: 0 });
      return true;
    });
  }

  /**
   * The engines are done and their images stored: record the outputs and capture what was made
   * (generate: the quote's price per image times the images made), or, for a cutout, wait for
   * the user's answer with the hold still open.
   */
  succeed(
    row: JobRow,
    outcome: EngineOutcome,
    stored: ReadonlyArray<{ sha256: string; bytes: number }>,
    /** A cutout's marked previews, one per output, shown until it is confirmed. */
    previews: ReadonlyArray<{ sha256: string; bytes: number; width: number; height: number }> = [],
  ): Promise<boolean> {
    return this.apply(row, async (ctx, job) => {
      if (job.state !== 'running') return false;
      const made = outcome.images.filter((i) => i.role === 'image').length;
      const asked =
        job.tool === 'generate' ? GenerateJobParams.parse(JSON.parse(job.params)).count : made;
      // The quote is a whole number of credits per image, so this is exact.
      const amount =
        job.tool === 'generate'
          ? Math.floor((job.credits * Math.min(made, asked)) / asked)
          : job.credits;
      const hold = job.hold_id === null ? null : ctx.fold.hold(job.hold_id);
      const lapsed = hold !== null && hold?.status !== 'open';
      if (lapsed || (job.tool !== 'cutout' && (await captureHold(ctx, job, amount)) === 'lapsed')) {
        const error =
          job.team_id !== null && hold?.status === 'released'
            ? failures.teamHoldReleased
            : failures.holdExpired;
        await this.finish(ctx, job, { state: 'failed', charged: 0, error });
        return false;
      }
      const outputs = outputRows(job, outcome, stored, amount);
      await jobStore.insertOutputs(ctx.tx, outputs);
      for (const o of outputs) {
        if (o.item_id === null || job.hold_id === null) continue;
        await recordItem(ctx.tx, {
          itemId: o.item_id,
          // A team run's image is refunded to the team's wallet, which paid for it.
          accountId: walletOf(job),
          paidBy: job.hold_id,
          tool: 'generate',
          refundCredits: o.refund_credits ?? 0,
          createdAt: ctx.now,
        });
      }
      const notice = outcome.shortfall
        ? `${made} of ${asked} images were made (${outcome.shortfall.message}); ${amount} of the ${job.credits} credits held were charged`
        : undefined;
      if (job.tool === 'cutout') {
        await jobStore.insertPreviews(
          ctx.tx,
          previews.map((p, idx) => ({
            job_id: job.id,
            idx,
            role: outputs[idx]?.role ?? 'image',
            account_id: job.account_id,
            ...p,
          })),
        );
        await jobStore.change(ctx.tx, job.id, { state: 'awaiting-confirm', progress: 1 }, ctx.now);
      } else
        await this.finish(ctx, job, { state: 'succeeded', progress: 1, charged: amount, notice });
      return true;
    });
  }

  private finish(ctx: WriteContext, job: JobRow, change: Omit<JobChange, 'finished'>) {
    return jobStore.change(ctx.tx, job.id, { ...change, finished: true }, ctx.now);
  }
}

/** Output rows; each generated image becomes an item that may be disliked once. */
function outputRows(
  job: JobRow,
  outcome: EngineOutcome,
  stored: ReadonlyArray<{ sha256: string; bytes: number }>,
  charged: number,
): OutputRow[] {
  return outcome.images.map((image, idx) => {
    const file = stored[idx];
    if (!file) throw new Error(`output ${idx} of ${job.id} was not stored`);
    const refundable =
      job.tool === 'generate' &&
      image.role === 'image' &&
      job.hold_id !== null &&
      job.refund_credits !== null &&
      charged > 0;
    return {
      job_id: job.id,
      idx,
      role: image.role,
      account_id: job.account_id,
      sha256: file.sha256,
      format: 'png',
      width: image.width,
      height: image.height,
      bytes: file.bytes,
      item_id: refundable ? `${job.id}:${idx}` : null,
      refund_credits: refundable ? job.refund_credits : null,
    };
  });
}
