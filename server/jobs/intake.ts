/**
 * Creating a job: its hold and its row in one ledger write, idempotent by operation id. The job
 * id follows from the account and the operation id, so two copies of one request meet in the
 * ledger's operation record rather than making two jobs. A team run writes both on the team's
 * wallet (docs/architecture.md §14), through the team wallet's write: membership checked, the
 * member's and the project's budgets enforced and charged under the team account's lock.
 */
import type { CreateJobRequest } from '../../shared/api/jobs';
import type { Purpose } from '../../shared/ledger/entry';
import type { LedgerService, WriteContext } from '../ledger/ledger-service';
import { jobSummary } from '../../shared/ledger/summary';
import { sha256Hex } from '../node-digest';
import { type TeamWallet, appendTeamHold } from '../teams/team-wallet';
import type { JobPlan } from './admission';
import { jobStore } from './job-store';

export const jobIdFor = (accountId: string, operationId: string): string =>
  `job_${sha256Hex(`${accountId}\n${operationId}`).slice(0, 40)}`;

export interface Intake {
  accountId: string;
  jobId: string;
  req: CreateJobRequest;
  plan: JobPlan;
  /** Of the whole request, to tell a replay from another job under the same operation id. */
  requestHash: string;
  creditKind: string;
  runnerId: string;
  holdTtlSeconds: number | undefined;
}

/** Holds the quote and records the job; returns true when the operation id was a replay. */
export async function holdAndRecord(
  ledger: LedgerService,
  teamWallet: TeamWallet,
  i: Intake,
): Promise<boolean> {
  const team = i.req.team ?? null;
  const record = async (ctx: WriteContext, holdId: string | null): Promise<void> => {
    const hold = holdId === null ? undefined : ctx.fold.hold(holdId);
    await jobStore.insertJob(ctx.tx, {
      id: i.jobId,
      account_id: i.accountId,
      operation_id: i.req.operationId,
      request_hash: i.requestHash,
      tool: i.req.tool,
      params: JSON.stringify(i.req.params),
      quote_request: JSON.stringify(i.plan.quoteRequest),
      credits: i.plan.quote.credits,
      price_book_version: i.plan.quote.priceBookVersion,
      refund_credits: i.plan.refundCredits,
      provider_id: i.plan.provider?.id ?? null,
      provider_label: i.plan.provider?.label ?? null,
      hold_id: hold?.holdId ?? null,
      hold_expires_at: hold?.expiresAt ?? null,
      state: 'queued',
      runner_id: i.runnerId,
      created_at: ctx.now,
      team_id: team?.teamId ?? null,
      project_id: team?.projectId ?? null,
      wallet_account_id: team ? ctx.accountId : null,
    });
  };
  const purpose: Purpose = {
    kind: 'job',
    jobId: i.jobId,
    tool: i.req.tool,
    summary: jobSummary(i.req.tool, i.req.params),
  };
  const held = { kind: i.creditKind, amount: i.plan.quote.credits, purpose };
  if (team) {
    const r = await teamWallet.write(
      team.teamId,
      i.accountId,
      {
        operationId: i.req.operationId,
        request: { op: 'team-job', jobId: i.jobId, tool: i.req.tool, credits: held.amount },
      },
      async (ctx) => {
        const hold =
          held.amount > 0
            ? await appendTeamHold(
                ctx,
                i.accountId,
                {
                  operationId: i.req.operationId,
                  ...held,
                  projectId: team.projectId,
                  ttlSeconds: i.holdTtlSeconds,
                },
                ledger.config.holdTtlMs,
              )
            : null;
        await record(ctx, hold?.holdId ?? null);
        return { status: 201, body: { jobId: i.jobId } };
      },
    );
    return r.replayed;
  }
  if (held.amount > 0) {
    const r = await ledger.hold(
      i.accountId,
      { operationId: i.req.operationId, ...held, ttlSeconds: i.holdTtlSeconds },
      record,
    );
    return r.replayed;
  }
  // A free job holds nothing, but stays idempotent through the ledger's operation record.
  const r = await ledger.write(
    i.accountId,
    { operationId: i.req.operationId, request: { op: 'job', jobId: i.jobId, tool: i.req.tool } },
    async (ctx) => {
      await record(ctx, null);
      return { status: 201, body: { jobId: i.jobId } };
    },
  );
  return r.replayed;
}
