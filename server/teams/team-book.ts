import { z } from 'zod';
import { TeamRole } from '../../shared/api/teams';
import type { WalletFold } from '../../shared/wallet/fold';
import { notFound } from '../http/errors';
import { RecentMap } from '../ledger/recent-map';
import type { WriteContext } from '../ledger/write-context';
import type { TeamBookOp, TeamBookPart } from './book-ops';
import { applyBook, budgetRefusal, headroom, periodOf, resolvedCharges } from './budgets';
import { teamStore } from './team-store';

/** An open hold's or allowance's charge to a member and project for one month. */
export interface OpenCharge {
  memberId: string;
  projectId: string | null;
  period: string;
  charged: number;
}

/** Thrown on the unlocked path when a team write can only be decided under the lock. */
class TeamWriteNeedsLock extends Error {}

const OpenRows = z.array(
  z.object({
    ref: z.string(),
    member: z.string(),
    project: z.string().nullable(),
    period: z.string(),
    charged: z.number().int(),
  }),
);

/** What a team write's book starts from, kept per team between writes of this instance. */
interface Known {
  headHash: string;
  open: ReadonlyMap<string, OpenCharge>;
}

/**
 * Team books (docs/architecture.md §14): what this instance knows of each team wallet after
 * its last write — the open charges at that head, each member's role — so the next write on
 * the same head is computed without reading them and takes the unlocked path (§2). What it
 * assumed is checked again by `team_book` under the row lock when it is stored.
 */
export class TeamBooks {
  private readonly known: RecentMap<Known>;
  private readonly roles: RecentMap<TeamRole>;
  /** Each team's wallet account, once a member's write found it (it never changes). */
  readonly accounts: RecentMap<string>;

  constructor(capacity: number) {
    this.known = new RecentMap(capacity);
    this.roles = new RecentMap(capacity);
    this.accounts = new RecentMap(capacity);
  }

  /**
   * The book of `memberId`'s write on the team wallet: under the lock, the membership and the
   * open charges are read (one statement; 404 for a non-member); without it, they come from
   * this instance's last write on the same head, or the write must take the lock.
   */
  async open(ctx: WriteContext, teamId: string, memberId: string): Promise<TeamBook> {
    const book = ctx.locked
      ? await this.read(ctx, teamId, memberId)
      : this.recall(ctx, teamId, memberId);
    ctx.afterCommit((headHash) => {
      this.known.set(teamId, { headHash, open: book.openCharges() });
      this.roles.set(`${teamId}:${memberId}`, book.role);
    });
    return book;
  }

  private async read(ctx: WriteContext, teamId: string, memberId: string): Promise<TeamBook> {
    const { rows } = await ctx.tx.query<{ role: string; open: unknown }>(
      `select m.role,
              coalesce((select json_agg(json_build_object('ref', c.ref_id, 'member', c.member_id,
                         'project', c.project_id, 'period', c.period, 'charged', c.charged))
                          from team_charges c where c.team_id = m.team_id and c.open), '[]') as open
         from team_members m
        where m.team_id = $1 and m.account_id = $2 and m.removed_at is null`,
      [teamId, memberId],
    );
    const row = rows[0];
    if (!row) throw notFound('team');
    const raw = typeof row.open === 'string' ? (JSON.parse(row.open) as unknown) : row.open;
    const open = new Map(
      OpenRows.parse(raw).map((c) => [
        c.ref,
        { memberId: c.member, projectId: c.project, period: c.period, charged: c.charged },
      ]),
    );
    return new TeamBook(ctx, teamId, TeamRole.parse(row.role), open, null);
  }

  private recall(ctx: WriteContext, teamId: string, memberId: string): TeamBook {
    const known = this.known.get(teamId);
    const role = this.roles.get(`${teamId}:${memberId}`);
    if (!known || known.headHash !== ctx.headHash || !role) throw new TeamWriteNeedsLock();
    const part: TeamBookPart = {
      team: teamId,
      ops: [{ k: 'member', account: memberId, role }],
    };
    ctx.storeWith(part);
    return new TeamBook(ctx, teamId, role, new Map(known.open), part.ops);
  }
}

/**
 * One team write's bookkeeping: its budget checks and the changes to its charges. Under the
 * lock each change is applied at once (`team_book`), so later reads in the write see it;
 * without it the checks and changes are collected and stored by `ledger_append` with the
 * entries (`staged`). Either way the open charges are followed here for the next write.
 */
export class TeamBook {
  constructor(
    private readonly ctx: WriteContext,
    readonly teamId: string,
    readonly role: TeamRole,
    private readonly open: Map<string, OpenCharge>,
    /** The ops stored with the entries: null under the lock (applied at once). */
    private readonly staged: TeamBookOp[] | null,
  ) {}

  openCharges(): ReadonlyMap<string, OpenCharge> {
    return this.open;
  }

  openCharge(refId: string): OpenCharge | undefined {
    return this.open.get(refId);
  }

  /** Open charges of one member, by ref (a removal releases them). */
  openChargesOf(memberId: string): Array<[string, OpenCharge]> {
    return [...this.open]
      .filter(([, c]) => c.memberId === memberId)
      .sort(([a], [b]) => (a < b ? -1 : 1));
  }

  /** 404 for a project that does not exist or is archived. */
  async requireProject(projectId: string): Promise<void> {
    if (this.staged) {
      this.staged.push({ k: 'project', id: projectId });
      return;
    }
    if (!(await teamStore.projectExists(this.ctx.tx, this.teamId, projectId)))
      throw notFound('project');
  }

  /** Refuses (403 `team-budget`) what would pass the member's or the project's monthly budget. */
  async enforceBudgets(memberId: string, projectId: string | null, amount: number): Promise<void> {
    if (this.staged) {
      const period = periodOf(this.ctx.now);
      this.staged.push({ k: 'budget', scope: 'member', subject: memberId, period, amount });
      if (projectId !== null)
        this.staged.push({ k: 'budget', scope: 'project', subject: projectId, period, amount });
      return;
    }
    const budgets = await headroom(this.ctx.tx, this.teamId, this.ctx.now, [
      ['member', memberId],
      ['project', projectId],
    ]);
    for (const b of budgets) if (amount > b.left) throw budgetRefusal(b, amount, this.ctx.now);
  }

  /** Charges a new hold or allowance of `amount` to its member and project for this month. */
  async charge(
    refId: string,
    memberId: string,
    projectId: string | null,
    amount: number,
  ): Promise<void> {
    const period = periodOf(this.ctx.now);
    await this.apply({
      k: 'charge',
      ref: refId,
      member: memberId,
      project: projectId,
      period,
      amount,
    });
    this.open.set(refId, { memberId, projectId, period, charged: amount });
  }

  /** Closes an open charge at what its hold or allowance finally took (0 when released). */
  async close(refId: string, final: number): Promise<void> {
    if (!this.open.has(refId)) return;
    await this.apply({ k: 'close', ref: refId, final });
    this.open.delete(refId);
  }

  /**
   * Gives a refunded image's credits back to the budgets its run was charged to, in the month
   * it was charged in, never below 0 (docs/architecture.md §14).
   */
  async refund(refId: string, amount: number): Promise<void> {
    await this.apply({ k: 'refund', ref: refId, amount });
  }

  /** Closes the charges of holds and allowances the ledger resolved on its own (expiry, routes). */
  async reconcile(fold: WalletFold): Promise<void> {
    const closes = resolvedCharges(fold, this.open.keys());
    await this.apply(...closes.map(({ ref, final }): TeamBookOp => ({ k: 'close', ref, final })));
    for (const { ref } of closes) this.open.delete(ref);
  }

  private async apply(...ops: TeamBookOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (this.staged) this.staged.push(...ops);
    else await applyBook(this.ctx.tx, { team: this.teamId, ops });
  }
}
