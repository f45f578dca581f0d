import type { TeamRole } from '../../shared/api/teams';
import type { TeamTag } from '../../shared/ledger/entry';
import type { Database } from '../db/database';
import { HttpError, conflict, notFound } from '../http/errors';
import {
  type HoldRequest,
  type LedgerService,
  type ReleaseReason,
  type WriteContext,
  type WriteResult,
  allocateOr402,
  appendCapture,
  appendHold,
  appendRelease,
  throwIt,
} from '../ledger/ledger-service';
import { type BudgetScope, budgetRefusal, headroom, writeBudget } from './budgets';
import { type TeamBook, TeamBooks } from './team-book';
import { membership, requireRole, teamStore } from './team-store';
import {
  type AllowanceReserve,
  type VoucherPurposeCheck,
  allowanceView,
  reserveInto,
  returnInto,
  settleInto,
} from '../ledger/allowance-service';
import type { SignedVoucher, VoucherOutcome } from '../../shared/api/ledger';

/** A member's hold on the team wallet: a hold's request and the project it is for (or none). */
type TeamHoldRequest = HoldRequest & { projectId: string | null };

export interface TeamWriteContext extends WriteContext {
  team: { id: string; account_id: string };
  role: TeamRole;
  /** The write's budget charges and checks (server/teams/team-book.ts). */
  book: TeamBook;
}

/**
 * The team wallet (docs/architecture.md §14): an account ledger owned by the team, written like
 * any other through `LedgerService.write` (the team account's row lock, the shared ChainWriter,
 * idempotent operation ids), with the acting member and the project in each entry it writes.
 * Membership and role are checked again inside the write, so a member removed a moment ago
 * cannot spend.
 */
export class TeamWallet {
  private readonly books: TeamBooks;

  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly checkPurpose: VoucherPurposeCheck,
  ) {
    this.books = new TeamBooks(ledger.config.foldCacheSize);
  }

  /** The team's wallet account, for a member only (404 for anyone else). */
  async accountOf(teamId: string, callerId: string): Promise<string> {
    return (await membership(this.db, teamId, callerId)).team.account_id;
  }

  /**
   * A write on the team's wallet by a member: the membership is checked again in the write, and
   * charges the ledger resolved on its own are closed first. Also used by Studio jobs run on the
   * team wallet (server/jobs/intake.ts). Like any ledger write it first tries the unlocked path
   * from this instance's last known head (§2): the membership and open charges then come from
   * this instance's team book, and `team_book` checks them under the row lock when the write is
   * stored (docs/architecture.md §14).
   */
  async write<T>(
    teamId: string,
    callerId: string,
    operation: { operationId: string; request: Record<string, unknown> } | null,
    fn: (ctx: TeamWriteContext) => Promise<{ status: number; body: T }>,
  ): Promise<WriteResult<T>> {
    // A non-member learns nothing either way: 404 here, or 404 from the write's own check.
    const accountId = this.books.accounts.get(teamId) ?? (await this.accountOf(teamId, callerId));
    // The caller is part of the request, so one member's operation id never answers another's.
    const op = operation && {
      operationId: operation.operationId,
      request: { ...operation.request, teamId, memberId: callerId },
    };
    const result = await this.ledger.write(accountId, op, async (ctx) => {
      const book = await this.books.open(ctx, teamId, callerId);
      await book.reconcile(ctx.fold);
      return fn({ ...ctx, team: { id: teamId, account_id: accountId }, role: book.role, book });
    });
    this.books.accounts.set(teamId, accountId);
    return result;
  }

  async hold(teamId: string, memberId: string, req: TeamHoldRequest) {
    return this.write(
      teamId,
      memberId,
      { operationId: req.operationId, request: { op: 'team-hold', ...req } },
      async (ctx) => {
        const body = await appendTeamHold(ctx, memberId, req, this.ledger.config.holdTtlMs);
        return { status: 201, body };
      },
    );
  }

  async capture(
    teamId: string,
    memberId: string,
    holdId: string,
    req: { operationId: string; amount: number },
  ) {
    return this.write(
      teamId,
      memberId,
      { operationId: req.operationId, request: { op: 'team-capture', holdId, ...req } },
      async (ctx) => {
        const { hold, charge } = await this.ownHold(ctx, memberId, holdId, false);
        const body = appendCapture(ctx, hold, req.operationId, req.amount, {
          memberId,
          projectId: charge.projectId,
        });
        await ctx.book.close(holdId, req.amount);
        return { status: 200, body };
      },
    );
  }

  async release(
    teamId: string,
    memberId: string,
    holdId: string,
    req: { operationId: string; reason: ReleaseReason },
  ) {
    return this.write(
      teamId,
      memberId,
      { operationId: req.operationId, request: { op: 'team-release', holdId, ...req } },
      async (ctx) => {
        const { hold, charge } = await this.ownHold(ctx, memberId, holdId, true);
        const body = appendRelease(ctx, hold, req.operationId, req.reason, {
          memberId,
          projectId: charge.projectId,
        });
        await ctx.book.close(holdId, 0);
        return { status: 200, body };
      },
    );
  }

  /**
   * The open hold `holdId` of the team wallet, made by `memberId`; with `staff`, an owner or
   * admin may also act on another member's hold. Anyone else's is answered as not found.
   */
  private async ownHold(ctx: TeamWriteContext, memberId: string, holdId: string, staff: boolean) {
    const hold = ctx.fold.hold(holdId) ?? throwIt(notFound('hold'));
    const charge = ctx.book.openCharge(holdId);
    const mayAct = (memberOf: string) => memberOf === memberId || (staff && ctx.role !== 'member');
    if (!charge) {
      if (hold.status === 'open') throw notFound('hold');
      throw conflict('hold-not-open', `hold ${holdId} is already ${hold.status}`);
    }
    if (!mayAct(charge.memberId)) throw notFound('hold');
    // A Studio run's hold is settled by its job alone (docs/architecture.md §8). Its owner is
    // written with the hold, so it needs no lock to read (as for a personal hold).
    await this.ledger.refuseOwnedHold(ctx.read, holdId);
    return { hold, charge };
  }

  /**
   * Sets or clears a budget: a signed `budget` entry on the team chain (owners and admins). An
   * owner's budget is the owners' alone: an admin may not set or clear it (403 `team-role`,
   * nothing written), as an admin may not make or unmake owners (docs/architecture.md §14).
   */
  async setBudget(
    teamId: string,
    callerId: string,
    req: { operationId: string; scope: BudgetScope; subjectId: string; monthly: number | null },
  ) {
    return this.write(
      teamId,
      callerId,
      { operationId: req.operationId, request: { op: 'team-budget', ...req } },
      async (ctx) => {
        requireRole(ctx.role, ['owner', 'admin'], 'change budgets');
        if (req.scope === 'project') {
          if (!(await teamStore.projectExists(ctx.tx, teamId, req.subjectId)))
            throw notFound(req.scope);
        } else {
          const subjectRole = await teamStore.roleOf(ctx.tx, teamId, req.subjectId);
          if (subjectRole === null) throw notFound(req.scope);
          if (subjectRole === 'owner' && ctx.role !== 'owner')
            throw new HttpError(403, 'team-role', "only owners may set or clear an owner's budget");
        }
        const entry = ctx.append({
          type: 'budget',
          operationId: req.operationId,
          scope: req.scope,
          subjectId: req.subjectId,
          monthly: req.monthly,
          setBy: callerId,
        });
        await writeBudget(ctx.tx, teamId, req.scope, req.subjectId, req.monthly, ctx.now);
        return { status: 200, body: { seq: entry.seq, hash: entry.hash } };
      },
    );
  }

  /**
   * Reserves an offline allowance from the team wallet for one of the member's own devices, cut
   * to what the member's budget leaves this month and charged to it (docs/architecture.md §5,
   * §14); the reserve itself is the allowance service's.
   */
  async allowance(teamId: string, memberId: string, req: AllowanceReserve) {
    return this.write(
      teamId,
      memberId,
      { operationId: req.operationId, request: { op: 'team-allowance', ...req } },
      async (ctx) => ({
        status: 201,
        body: await reserveInto(ctx, req, {
          deviceOwner: memberId,
          team: { memberId, projectId: null },
          cap: async (_, amount) => {
            const [budget] = await headroom(ctx.tx, teamId, ctx.now, [['member', memberId]]);
            if (budget && budget.left < 1) throw budgetRefusal(budget, amount, ctx.now);
            return budget ? Math.min(amount, budget.left) : amount;
          },
          onReserved: (_, allowanceId, amount) =>
            ctx.book.charge(allowanceId, memberId, null, amount),
        }),
      }),
    );
  }

  /**
   * Settles the vouchers a member's device spent offline from its team allowance: signed by the
   * device the reserve names, naming this team and member, each (allowance, counter) once, the
   * settle entries tagged with the member and project. With `returnRest` the rest goes back and
   * the budget charge closes at what was spent. A member removed since is refused (403
   * `team-member-removed`) and nothing is written: the allowance was returned at removal.
   */
  async settleAllowance(
    teamId: string,
    memberId: string,
    allowanceId: string,
    req: { operationId: string; vouchers: SignedVoucher[]; returnRest: boolean },
  ) {
    return this.allowanceWrite(
      teamId,
      memberId,
      allowanceId,
      { operationId: req.operationId, request: { op: 'team-settle', allowanceId, ...req } },
      async (ctx) => {
        const vouchers = await settleInto(
          ctx,
          allowanceId,
          req.vouchers,
          null,
          async (c, v) =>
            v.team?.projectId && !(await teamStore.projectExists(c.tx, teamId, v.team.projectId))
              ? `project ${v.team.projectId} is not a project of this team`
              : this.checkPurpose(c, v),
          { teamId, memberId },
        );
        if (req.returnRest) await this.returnRest(ctx, memberId, allowanceId, req.operationId);
        return { vouchers };
      },
    );
  }

  /** Gives back what is left of the member's team allowance; the charge closes at what was spent. */
  async returnAllowance(
    teamId: string,
    memberId: string,
    allowanceId: string,
    req: { operationId: string },
  ) {
    return this.allowanceWrite(
      teamId,
      memberId,
      allowanceId,
      { operationId: req.operationId, request: { op: 'team-return', allowanceId } },
      async (ctx) => {
        await this.returnRest(ctx, memberId, allowanceId, req.operationId);
        return { vouchers: [] };
      },
    );
  }

  private async returnRest(
    ctx: TeamWriteContext,
    memberId: string,
    allowanceId: string,
    operationId: string,
  ): Promise<void> {
    await returnInto(ctx, allowanceId, `return:${operationId}`.slice(0, 128), {
      memberId,
      projectId: null,
    });
    await ctx.book.close(allowanceId, ctx.fold.reserve(allowanceId)?.settled ?? 0);
  }

  /**
   * A write on one of the member's own team allowances: any other (another member's, another
   * team's, none) is answered as not found; a removed member gets a clear refusal.
   */
  private async allowanceWrite(
    teamId: string,
    memberId: string,
    allowanceId: string,
    operation: { operationId: string; request: Record<string, unknown> },
    fn: (ctx: TeamWriteContext) => Promise<{ vouchers: VoucherOutcome[] }>,
  ) {
    try {
      return await this.write(teamId, memberId, operation, async (ctx) => {
        const { rows } = await ctx.tx.query<{ member_id: string }>(
          'select member_id from team_charges where team_id = $1 and ref_id = $2',
          [teamId, allowanceId],
        );
        if (rows[0]?.member_id !== memberId || !ctx.fold.reserve(allowanceId))
          throw notFound('allowance');
        const { vouchers } = await fn(ctx);
        return { status: 200, body: { allowance: allowanceView(ctx, allowanceId), vouchers } };
      });
    } catch (error) {
      if (error instanceof HttpError && error.status === 404 && error.code === 'not-found')
        await this.refuseRemoved(teamId, memberId);
      throw error;
    }
  }

  /** Throws 403 `team-member-removed` when the caller was a member of the team and was removed. */
  private async refuseRemoved(teamId: string, accountId: string): Promise<void> {
    if ((await teamStore.roleOf(this.db, teamId, accountId)) !== null) return;
    const { rows } = await this.db.query<{ removed_at: string }>(
      'select removed_at from team_members where team_id = $1 and account_id = $2 and removed_at is not null',
      [teamId, accountId],
    );
    const removedAt = rows[0]?.removed_at;
    if (removedAt === undefined) return;
    throw new HttpError(
      403,
      'team-member-removed',
      `you were removed from this team at ${removedAt}; your offline allowances were returned then, so vouchers spent from them are not settled`,
    );
  }

  /**
   * Removes a member (owners and admins; a member may remove themself, which is leaving). In the
   * same write under the team account's lock: their open holds are released, their devices'
   * allowances returned, and their membership ends, so nothing of theirs stays open.
   */
  async removeMember(teamId: string, callerId: string, memberId: string, operationId: string) {
    return this.write(
      teamId,
      callerId,
      { operationId, request: { op: 'team-remove', removed: memberId } },
      async (ctx) => {
        if (memberId !== callerId) requireRole(ctx.role, ['owner', 'admin'], 'remove members');
        const target = await teamStore.roleOf(ctx.tx, teamId, memberId);
        if (target === null) throw notFound('member');
        if (target === 'owner' && ctx.role !== 'owner' && memberId !== callerId)
          throw new HttpError(403, 'team-role', 'only owners may remove an owner');
        if (target === 'owner') {
          const { rows } = await ctx.tx.query<{ n: number }>(
            `select count(*)::int as n from team_members where team_id = $1 and role = 'owner' and removed_at is null and account_id <> $2`,
            [teamId, memberId],
          );
          if ((rows[0]?.n ?? 0) === 0)
            throw conflict(
              'last-owner',
              'a team keeps at least one owner: make another member an owner first',
            );
        }
        let holdsReleased = 0;
        let allowancesReturned = 0;
        for (const [refId, { projectId }] of ctx.book.openChargesOf(memberId)) {
          const team: TeamTag = { memberId: callerId, projectId };
          const hold = ctx.fold.hold(refId);
          if (hold?.status === 'open') {
            appendRelease(ctx, hold, `team-remove:${refId}`, 'cancelled', team);
            await ctx.book.close(refId, 0);
            holdsReleased++;
            continue;
          }
          const reserve = ctx.fold.reserve(refId);
          if (reserve?.status === 'open') {
            await returnInto(ctx, refId, `team-remove:${refId}`, team);
            await ctx.book.close(refId, reserve.settled);
            allowancesReturned++;
          }
        }
        await ctx.tx.query(
          'update team_members set removed_at = $3 where team_id = $1 and account_id = $2',
          [teamId, memberId, ctx.now],
        );
        return { status: 200, body: { holdsReleased, allowancesReturned } };
      },
    );
  }
}

/**
 * Appends a member's hold on the team wallet inside a team write: the project must exist, the
 * member's and the project's monthly budgets must not be passed (403 `team-budget`, nothing
 * written), and the hold is charged to both (docs/architecture.md §14).
 */
export async function appendTeamHold(
  ctx: TeamWriteContext,
  memberId: string,
  req: TeamHoldRequest,
  defaultTtlMs: number,
) {
  if (req.projectId !== null) await ctx.book.requireProject(req.projectId);
  const splits = allocateOr402(ctx.state(), req.kind, req.amount);
  await ctx.book.enforceBudgets(memberId, req.projectId, req.amount);
  const body = appendHold(ctx, req, splits, defaultTtlMs, { memberId, projectId: req.projectId });
  await ctx.book.charge(body.holdId, memberId, req.projectId, req.amount);
  return body;
}
