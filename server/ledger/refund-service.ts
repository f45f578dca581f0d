import { randomUUID } from 'node:crypto';
import { planRefund } from '../../shared/wallet/plan';
import { HOUR, plusMs } from '../clock';
import type { Sql } from '../db/database';
import { conflict, notFound } from '../http/errors';
import type { TeamWallet } from '../teams/team-wallet';
import { type LedgerService, type WriteContext, throwIt } from './ledger-service';

/** A paid output (e.g. one generated image) that may be refunded once. */
export async function recordItem(
  tx: Sql,
  item: {
    itemId: string;
    accountId: string;
    paidBy: string;
    tool: string;
    refundCredits: number;
    createdAt: string;
  },
) {
  await tx.query(
    'insert into items (id, account_id, paid_by, tool, refund_credits, created_at) values ($1, $2, $3, $4, $5, $6)',
    [item.itemId, item.accountId, item.paidBy, item.tool, item.refundCredits, item.createdAt],
  );
}

/**
 * "Dislike" refunds: within the window (24 h by default) a generated image gives back the price
 * book's refund amount, once, to the buckets that paid for it.
 */
export class RefundService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly windowHours: () => Promise<number>,
    private readonly teamWallet: TeamWallet,
  ) {}

  /**
   * An image of a team run was paid by the team's wallet and is refunded to it: the write goes
   * through the team wallet, which checks the caller is still a member, and only the member who
   * made the run, or an owner or admin, may refund it; another member's image is "not found"
   * (docs/architecture.md §14).
   */
  async dislike(accountId: string, itemId: string, operationId: string) {
    const windowHours = await this.windowHours();
    const operation = { operationId, request: { op: 'dislike', itemId } };
    const into = (ctx: WriteContext) =>
      dislikeInto(ctx, itemId, operationId, windowHours, this.ledger.config.refundBucketTtlMs);
    const { rows } = await this.ledger.db.query<{ team_id: string }>(
      'select t.id as team_id from items i join teams t on t.account_id = i.account_id where i.id = $1',
      [itemId],
    );
    const teamId = rows[0]?.team_id;
    if (teamId !== undefined)
      return this.teamWallet.write(teamId, accountId, operation, async (ctx) => {
        if (ctx.role === 'member' && !(await madeBy(ctx.tx, itemId, accountId)))
          throw notFound('item');
        return into(ctx);
      });
    return this.ledger.write(accountId, operation, into);
  }
}

/** Whether the team run that paid for the item was started by `accountId`. */
async function madeBy(tx: Sql, itemId: string, accountId: string): Promise<boolean> {
  const { rows } = await tx.query<{ id: string }>(
    'select j.id from items i join jobs j on j.hold_id = i.paid_by where i.id = $1 and j.account_id = $2',
    [itemId, accountId],
  );
  return rows.length > 0;
}

export async function dislikeInto(
  ctx: WriteContext,
  itemId: string,
  operationId: string,
  windowHours: number,
  refundBucketTtlMs: number,
) {
  const { rows } = await ctx.tx.query<{
    paid_by: string;
    refund_credits: number;
    created_at: string;
    account_id: string;
  }>('select paid_by, refund_credits, created_at, account_id from items where id = $1', [itemId]);
  const item = rows[0];
  // Another account's item is "not found": never confirm that it exists.
  if (!item || item.account_id !== ctx.accountId) throw notFound('item');
  if (ctx.fold.isRefunded(itemId))
    throw conflict('already-refunded', 'this image was already refunded');
  const closesAt = plusMs(item.created_at, windowHours * HOUR);
  if (ctx.now >= closesAt)
    throw conflict(
      'refund-window-closed',
      `refunds are possible for ${windowHours} hours after an image is made`,
    );
  const payment =
    ctx.fold.payment(item.paid_by) ??
    throwIt(conflict('not-paid', 'nothing was paid for this item'));
  const left = payment.splits.reduce((t, s) => t + s.amount, 0) - payment.refundedTotal;
  const amount = Math.min(item.refund_credits, left);
  if (amount <= 0)
    throw conflict('nothing-to-refund', 'there is nothing left to refund for this image');
  const plan = planRefund(payment, (id) => ctx.fold.isBucketLive(id, ctx.now), amount, {
    bucketId: `refund_${randomUUID()}`,
    costBasisCents: 0,
    effectiveAt: ctx.now,
    expiresAt: plusMs(ctx.now, refundBucketTtlMs),
    priority: 100,
  });
  const entry = ctx.append({
    type: 'refund',
    operationId,
    itemId,
    paidBy: item.paid_by,
    kind: payment.kind,
    amount,
    splits: plan.splits,
    newBucket: plan.newBucket,
    reason: 'disliked image',
  });
  return { status: 201, body: { itemId, credits: amount, seq: entry.seq } };
}
