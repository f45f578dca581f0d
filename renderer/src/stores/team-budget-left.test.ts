import { describe, expect, it } from 'vitest';
import type { TeamDetail } from '../../../shared/api/teams';
import { budgetLeft } from './team-store';

const detail: TeamDetail = {
  team: { teamId: 'team_1', name: 'North', accountId: 'acct_t', role: 'member' },
  period: '2026-12',
  resetsAt: '2027-01-01T00:00:00.000Z',
  members: [
    {
      accountId: 'acct_a',
      email: 'ada@example.com',
      role: 'member',
      joinedAt: '2026-12-01T00:00:00.000Z',
      budget: { monthly: 50, used: 18 },
    },
    {
      accountId: 'acct_b',
      email: 'bo@example.com',
      role: 'member',
      joinedAt: '2026-12-01T00:00:00.000Z',
      budget: { monthly: null, used: 30 },
    },
  ],
  projects: [
    { projectId: 'prj_1', name: 'Spring', budget: { monthly: 20, used: 26 } },
    { projectId: 'prj_2', name: 'Autumn', budget: { monthly: null, used: 4 } },
  ],
};

// docs/architecture.md §14: the Studio shows what this member and the picked project have left.
describe('budget left on the team wallet for the next Studio run', () => {
  it('is the member’s and the project’s budget less this month’s use, never below 0', () => {
    expect(budgetLeft(detail, 'acct_a', 'prj_1')).toEqual({ member: 32, project: 0 });
  });
  it('is null where no budget is set, and for no project', () => {
    expect(budgetLeft(detail, 'acct_b', 'prj_2')).toEqual({ member: null, project: null });
    expect(budgetLeft(detail, 'acct_a', null)).toEqual({ member: 32, project: null });
  });
  it('is unknown (null) before the team is read', () => {
    expect(budgetLeft(null, 'acct_a', 'prj_1')).toEqual({ member: null, project: null });
  });
});
