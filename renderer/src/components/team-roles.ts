import type { TeamRole } from '../../../shared/api/teams';

/**
 * Whether a team member with role `me` may change the role and the budget of a member with role
 * `theirs` (docs/architecture.md §14): owners anyone's; admins anyone's but an owner's — the
 * server refuses an admin who sets an owner's role or budget with 403 `team-role`; members no
 * one's.
 */
export function mayManageMember(me: TeamRole, theirs: TeamRole): boolean {
  return me === 'owner' || (me === 'admin' && theirs !== 'owner');
}
