import { randomBytes, randomUUID } from 'node:crypto';
import type {
  InvitePreview,
  InviteResponse,
  TeamDetail,
  TeamListResponse,
  TeamRole,
  TeamSummary,
} from '../../shared/api/teams';
import { GENESIS_HASH } from '../../shared/ledger/primitives';
import { type Clock, DAY, plusMs } from '../clock';
import type { Database, Sql } from '../db/database';
import { HttpError, conflict, notFound } from '../http/errors';
import type { LedgerService } from '../ledger/ledger-service';
import { sha256Hex } from '../node-digest';
import { budgetsOf, nextPeriodStart, periodOf, usageByPeriod } from './budgets';
import { membership, requireRole } from './team-store';

/** An invite link works for 7 days, once. */
const INVITE_TTL_MS = 7 * DAY;

/**
 * Teams, memberships, invites and projects (docs/architecture.md §14). Writes that change who
 * may spend from the team wallet (joining, roles, removal) run under the team account's lock
 * (`LedgerService.write` without an entry), so they serialise with the wallet's holds.
 */
export class TeamService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
  ) {}

  async create(ownerId: string, name: string): Promise<TeamSummary> {
    const teamId = `team_${randomUUID()}`;
    const accountId = `acct_${randomUUID()}`;
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      // The wallet is an account row like any other; `team:<id>` is no e-mail, so no sign-in
      // reaches it, and its password hash matches no password. Plan 'team': no daily credits.
      await tx.query(
        `insert into accounts (id, email, password_hash, plan, created_at, head_hash) values ($1, $2, '!', 'team', $3, $4)`,
        [accountId, `team:${teamId}`, now, GENESIS_HASH],
      );
      await tx.query(
        'insert into teams (id, name, account_id, created_by, created_at) values ($1, $2, $3, $4, $5)',
        [teamId, name, accountId, ownerId, now],
      );
      await tx.query(
        `insert into team_members (team_id, account_id, role, joined_at) values ($1, $2, 'owner', $3)`,
        [teamId, ownerId, now],
      );
    });
    return { teamId, name, accountId, role: 'owner' };
  }

  async list(accountId: string): Promise<TeamListResponse> {
    const { rows } = await this.db.query<{
      id: string;
      name: string;
      account_id: string;
      role: TeamRole;
    }>(
      `select t.id, t.name, t.account_id, m.role from team_members m join teams t on t.id = m.team_id
       where m.account_id = $1 and m.removed_at is null order by t.created_at, t.id`,
      [accountId],
    );
    return {
      teams: rows.map((r) => ({
        teamId: r.id,
        name: r.name,
        accountId: r.account_id,
        role: r.role,
      })),
    };
  }

  async detail(teamId: string, callerId: string): Promise<TeamDetail> {
    const { team, role } = await membership(this.db, teamId, callerId);
    const now = this.clock.now();
    const period = periodOf(now);
    const [budgets, usage] = await Promise.all([
      budgetsOf(this.db, teamId),
      usageByPeriod(this.db, teamId, period),
    ]);
    const budget = (key: string) => ({
      monthly: budgets.get(key) ?? null,
      used: usage.get(key) ?? 0,
    });
    const { rows: members } = await this.db.query<{
      account_id: string;
      email: string;
      role: TeamRole;
      joined_at: string;
    }>(
      `select m.account_id, a.email, m.role, m.joined_at from team_members m join accounts a on a.id = m.account_id
       where m.team_id = $1 and m.removed_at is null order by m.joined_at, m.account_id`,
      [teamId],
    );
    const { rows: projects } = await this.db.query<{ id: string; name: string }>(
      'select id, name from team_projects where team_id = $1 and archived_at is null order by created_at, id',
      [teamId],
    );
    return {
      team: { teamId, name: team.name, accountId: team.account_id, role },
      period,
      resetsAt: nextPeriodStart(now),
      members: members.map((m) => ({
        accountId: m.account_id,
        email: m.email,
        role: m.role,
        joinedAt: m.joined_at,
        budget: budget(`member:${m.account_id}`),
      })),
      projects: projects.map((p) => ({
        projectId: p.id,
        name: p.name,
        budget: budget(`project:${p.id}`),
      })),
    };
  }

  /** Makes an invite; only the SHA-256 of its token is stored (docs/architecture.md §14). */
  async invite(
    teamId: string,
    callerId: string,
    req: { email: string; role: 'admin' | 'member' },
  ): Promise<InviteResponse> {
    const { role } = await membership(this.db, teamId, callerId);
    requireRole(role, ['owner', 'admin'], 'invite members');
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = plusMs(now, INVITE_TTL_MS);
    await this.db.query(
      `insert into team_invites (token_hash, team_id, email, role, invited_by, created_at, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [sha256Hex(token), teamId, req.email, req.role, callerId, now, expiresAt],
    );
    return { token, email: req.email, role: req.role, expiresAt };
  }

  /**
   * What an invite is, for the signed-in account holding its token, so the app can ask "Join
   * team X?" before joining, or say at once why it cannot (docs/architecture.md §14). Reads only.
   */
  async preview(callerId: string, token: string): Promise<InvitePreview> {
    const { rows } = await this.db.query<{
      team_id: string;
      name: string;
      email: string;
      role: TeamRole;
      expires_at: string;
      accepted_by: string | null;
      caller_email: string | null;
      removed_at: string | null;
      member: boolean;
    }>(
      `select i.team_id, t.name, i.email, i.role, i.expires_at, i.accepted_by,
              (select email from accounts where id = $2) as caller_email,
              m.removed_at, m.account_id is not null as member
       from team_invites i join teams t on t.id = i.team_id
       left join team_members m on m.team_id = i.team_id and m.account_id = $2
       where i.token_hash = $1`,
      [sha256Hex(token), callerId],
    );
    const row = rows[0];
    if (!row) throw notFound('invite');
    const state: InvitePreview['state'] =
      row.member && row.removed_at === null
        ? 'member'
        : row.accepted_by
          ? 'used'
          : row.expires_at <= this.clock.now()
            ? 'expired'
            : row.caller_email !== row.email
              ? 'other-email'
              : 'open';
    return {
      teamName: row.name,
      email: row.email,
      role: row.role,
      expiresAt: row.expires_at,
      state,
    };
  }

  /**
   * Accepts an invite for the signed-in account, whose e-mail must be the invited one. Single
   * use: the row is claimed by an update that matches only while it is unaccepted and unexpired.
   */
  async accept(callerId: string, token: string): Promise<TeamSummary> {
    const now = this.clock.now();
    const { rows: found } = await this.db.query<{ team_id: string; account_id: string }>(
      'select i.team_id, t.account_id from team_invites i join teams t on t.id = i.team_id where i.token_hash = $1',
      [sha256Hex(token)],
    );
    const invite = found[0];
    if (!invite) throw notFound('invite');
    const r = await this.ledger.write(invite.account_id, null, async ({ tx }) => {
      const { rows: emails } = await tx.query<{ email: string }>(
        'select email from accounts where id = $1',
        [callerId],
      );
      const { rows } = await tx.query<{ role: TeamRole; email: string }>(
        `update team_invites set accepted_by = $2, accepted_at = $3
         where token_hash = $1 and accepted_by is null and expires_at > $3 and email = $4
         returning role, email`,
        [sha256Hex(token), callerId, now, emails[0]?.email ?? ''],
      );
      const claimed = rows[0];
      if (!claimed) {
        const { rows: why } = await tx.query<{
          accepted_by: string | null;
          expires_at: string;
          email: string;
        }>('select accepted_by, expires_at, email from team_invites where token_hash = $1', [
          sha256Hex(token),
        ]);
        const w = why[0];
        if (w?.accepted_by) throw conflict('invite-used', 'this invite has already been accepted');
        if (w && w.expires_at <= now) throw conflict('invite-expired', 'this invite has expired');
        throw new HttpError(
          403,
          'invite-other-email',
          'this invite is for another e-mail address: sign in with the invited one',
        );
      }
      const { rows: current } = await tx.query<{ removed_at: string | null }>(
        'select removed_at from team_members where team_id = $1 and account_id = $2',
        [invite.team_id, callerId],
      );
      if (current[0] && current[0].removed_at === null)
        throw conflict('already-member', 'you are already a member of this team');
      await tx.query(
        `insert into team_members (team_id, account_id, role, joined_at) values ($1, $2, $3, $4)
         on conflict (team_id, account_id) do update set role = $3, joined_at = $4, removed_at = null`,
        [invite.team_id, callerId, claimed.role, now],
      );
      return { status: 200, body: claimed.role };
    });
    const { team } = await membership(this.db, invite.team_id, callerId);
    return { teamId: team.id, name: team.name, accountId: team.account_id, role: r.body };
  }

  /**
   * Changes a member's role. Owners change any role; admins only between member and admin, and
   * never an owner's; members change none. The last owner stays an owner.
   */
  async setRole(teamId: string, callerId: string, memberId: string, newRole: TeamRole) {
    const { team } = await membership(this.db, teamId, callerId);
    await this.ledger.write(team.account_id, null, async ({ tx }) => {
      const { role } = await membership(tx, teamId, callerId);
      requireRole(role, ['owner', 'admin'], 'change roles');
      const { role: current } = await membership(tx, teamId, memberId).catch(() => {
        throw notFound('member');
      });
      if (role === 'admin' && (current === 'owner' || newRole === 'owner'))
        throw new HttpError(403, 'team-role', 'only owners may make or unmake owners');
      if (current === 'owner' && newRole !== 'owner') await this.keepAnOwner(tx, teamId, memberId);
      await tx.query('update team_members set role = $3 where team_id = $1 and account_id = $2', [
        teamId,
        memberId,
        newRole,
      ]);
      return { status: 200, body: null };
    });
    return this.detail(teamId, callerId);
  }

  private async keepAnOwner(tx: Sql, teamId: string, leaving: string) {
    const { rows } = await tx.query<{ n: number }>(
      `select count(*)::int as n from team_members where team_id = $1 and role = 'owner' and removed_at is null and account_id <> $2`,
      [teamId, leaving],
    );
    if ((rows[0]?.n ?? 0) === 0)
      throw conflict(
        'last-owner',
        'a team keeps at least one owner: make another member an owner first',
      );
  }

  async createProject(teamId: string, callerId: string, name: string) {
    const { role } = await membership(this.db, teamId, callerId);
    requireRole(role, ['owner', 'admin'], 'add projects');
    const projectId = `prj_${randomUUID()}`;
    await this.db.query(
      'insert into team_projects (team_id, id, name, created_at) values ($1, $2, $3, $4)',
      [teamId, projectId, name, this.clock.now()],
    );
    return { projectId, name, budget: { monthly: null, used: 0 } };
  }
}
