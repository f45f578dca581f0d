import { HttpError } from '../http/errors';
import type { TeamWriteContext } from './team-wallet';

/**
 * A disliked image of a team run (docs/architecture.md §14): only the member who ran it, or an
 * owner or admin, may refund it (403 `team-role` for any other member; a non-member never gets
 * past the team write's 404). The refund goes back to the team wallet and, in the same write,
 * lowers the run's budget charge for the month it was charged in.
 */
export async function teamDislikeInto<T extends { credits: number }>(
  ctx: TeamWriteContext,
  callerId: string,
  itemId: string,
  refund: (ctx: TeamWriteContext) => Promise<{ status: number; body: T }>,
): Promise<{ status: number; body: T }> {
  const { rows } = await ctx.tx.query<{ paid_by: string; member_id: string | null }>(
    `select i.paid_by, c.member_id from items i
       left join team_charges c on c.team_id = $2 and c.ref_id = i.paid_by
      where i.id = $1`,
    [itemId, ctx.team.id],
  );
  const item = rows[0];
  if (item && item.member_id !== callerId && ctx.role === 'member')
    throw new HttpError(
      403,
      'team-role',
      'only the member who ran this image, or an owner or admin of the team, may refund it',
    );
  const result = await refund(ctx);
  if (item) await ctx.book.refund(item.paid_by, result.body.credits);
  return result;
}
