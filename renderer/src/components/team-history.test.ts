import { describe, expect, it } from 'vitest';
import type { TeamDetail, TeamWalletView } from '../../../shared/api/teams';
import { teamRowWords } from './team-activities';
import { teamCsv } from './team-history';

const detail: TeamDetail = {
  team: { teamId: 'team_1', name: 'North', accountId: 'acct_t', role: 'owner' },
  period: '2026-12',
  resetsAt: '2027-01-01T00:00:00.000Z',
  members: [
    {
      accountId: 'acct_a',
      email: 'ada@example.com',
      role: 'member',
      joinedAt: '2026-12-01T00:00:00.000Z',
      budget: { monthly: null, used: 0 },
    },
  ],
  projects: [{ projectId: 'prj_1', name: 'Spring, "catalog"', budget: { monthly: null, used: 0 } }],
};
const row = (
  seq: number,
  at: string,
  credits: number,
  memberId: string | null,
  projectId: string | null,
) => ({
  seq,
  at,
  type: credits < 0 ? 'capture' : 'grant',
  credits,
  memberId,
  projectId,
  label: credits < 0 ? 'Charged' : 'Credits added',
});
const wallet: TeamWalletView = {
  teamId: 'team_1',
  accountId: 'acct_t',
  seq: 4,
  balance: 70,
  available: 70,
  rows: [
    row(4, '2026-12-02T10:00:00.000Z', -12, 'acct_a', null),
    row(3, '2026-12-02T09:00:00.000Z', -10, 'acct_a', 'prj_1'),
    row(2, '2026-11-30T09:00:00.000Z', -8, 'acct_gone', 'prj_1'),
    row(1, '2026-11-01T09:00:00.000Z', 100, null, null),
  ],
  spentByMember: [],
  fresh: true,
};

describe('team history', () => {
  it('CSV: member e-mails and project names, quoted; a former member is named so', () => {
    const lines = teamCsv(wallet.rows, detail).split('\n');
    expect(lines[0]).toBe('date,activity,member,project,credits,entry');
    expect(lines[2]).toBe(
      '"2026-12-02T09:00:00.000Z","Charged","ada@example.com","Spring, ""catalog""","-10","3"',
    );
    expect(lines[3]).toContain(',"former member",');
    expect(lines[4]).toBe('"2026-11-01T09:00:00.000Z","Credits added","","","100","1"');
  });

  it('CSV: a name a spreadsheet would run as a formula stays text', () => {
    const hostile: TeamDetail = {
      ...detail,
      projects: detail.projects.map((p) => ({ ...p, name: '=HYPERLINK("http://x","y")' })),
    };
    const lines = teamCsv(wallet.rows, hostile).split('\n');
    expect(lines[2]).toContain(`,"'=HYPERLINK(""http://x"",""y"")",`);
  });
});

describe('team history words', () => {
  it('says a run’s hold and release in creators’ words, and leaves other rows as they are', () => {
    expect(teamRowWords('Hold for generate')).toBe('Set aside for a generate run');
    expect(teamRowWords('Hold released (failed)')).toBe('Returned, not charged (failed)');
    expect(teamRowWords('Charged')).toBe('Charged');
    expect(teamRowWords('Credits added: team pack')).toBe('Credits added: team pack');
  });
});
