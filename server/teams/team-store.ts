import type { TeamRole } from '../../shared/api/teams';
import type { Sql } from '../db/database';
import { HttpError, notFound } from '../http/errors';

export interface TeamRow {
  id: string;
  name: string;
  account_id: string;
}

/** Row-level access to the team tables (docs/architecture.md §14). */
export const teamStore = {
  async team(sql: Sql, teamId: string): Promise<TeamRow | null> {
    const { rows } = await sql.query<TeamRow>(
      'select id, name, account_id from teams where id = $1',
      [teamId],
    );
    return rows[0] ?? null;
  },

  /** The caller's role in the team, or null when they are not (or no longer) a member. */
  async roleOf(sql: Sql, teamId: string, accountId: string): Promise<TeamRole | null> {
    const { rows } = await sql.query<{ role: TeamRole }>(
      'select role from team_members where team_id = $1 and account_id = $2 and removed_at is null',
      [teamId, accountId],
    );
    return rows[0]?.role ?? null;
  },

  async projectExists(sql: Sql, teamId: string, projectId: string): Promise<boolean> {
    const { rows } = await sql.query<{ id: string }>(
      'select id from team_projects where team_id = $1 and id = $2 and archived_at is null',
      [teamId, projectId],
    );
    return rows.length > 0;
  },
};

/**
 * The team and the caller's role. A team the caller is not a member of is answered exactly like
 * one that does not exist (404), so nobody learns about other teams (docs/architecture.md §14).
 */
export async function membership(
  sql: Sql,
  teamId: string,
  accountId: string,
): Promise<{ team: TeamRow; role: TeamRole }> {
  // One statement: it runs under the team account's lock on every team write.
  const { rows } = await sql.query<TeamRow & { role: TeamRole }>(
    `select t.id, t.name, t.account_id, m.role
       from teams t join team_members m on m.team_id = t.id
      where t.id = $1 and m.account_id = $2 and m.removed_at is null`,
    [teamId, accountId],
  );
  const row = rows[0];
  if (!row) throw notFound('team');
  return { team: { id: row.id, name: row.name, account_id: row.account_id }, role: row.role };
}

/** Refuses (403 `team-role`) a caller whose role is not one of `allowed`. */
export function requireRole(role: TeamRole, allowed: readonly TeamRole[], what: string): void {
  if (!allowed.includes(role))
    throw new HttpError(
      403,
      'team-role',
      `only ${allowed.join(' or ')}s of the team may ${what}; you are a ${role}`,
    );
}
