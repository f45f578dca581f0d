import { describe, expect, it } from 'vitest';
import type { TeamRole } from '../../../shared/api/teams';
import { mayManageMember } from './team-roles';

// docs/architecture.md §14: Settings → Teams offers a role menu and a budget field only where the
// server would accept the change.
describe('who may change a member’s role and budget', () => {
  const roles: TeamRole[] = ['owner', 'admin', 'member'];
  it.each(roles)('an owner may change a %s’s', (theirs) => {
    expect(mayManageMember('owner', theirs)).toBe(true);
  });
  it('an admin may change an admin’s or a member’s, not an owner’s', () => {
    expect(roles.map((theirs) => mayManageMember('admin', theirs))).toEqual([false, true, true]);
  });
  it.each(roles)('a member may change no %s’s', (theirs) => {
    expect(mayManageMember('member', theirs)).toBe(false);
  });
});
