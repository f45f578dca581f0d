import { describe, expect, it } from 'vitest';
import type { TeamWalletRow } from '../../../shared/api/teams';
import { monthReport, reportCsv, reportMonths } from './team-report-data';

const row = (
  seq: number,
  at: string,
  type: string,
  credits: number,
  memberId: string | null,
  projectId: string | null,
): TeamWalletRow => ({ seq, at, type, credits, memberId, projectId, label: type });

// docs/architecture.md §14: the cost report, from the verified team chain's rows (newest first).
const rows: TeamWalletRow[] = [
  row(7, '2026-12-02T10:00:00.000Z', 'capture', -12, 'acct_a', null),
  row(6, '2026-12-02T09:30:00.000Z', 'release', 0, 'acct_b', 'prj_1'),
  row(5, '2026-12-02T09:00:00.000Z', 'capture', -10, 'acct_a', 'prj_1'),
  row(4, '2026-12-01T00:00:00.000Z', 'capture', -30, 'acct_b', 'prj_1'),
  row(3, '2026-11-30T23:59:59.999Z', 'capture', -8, 'acct_gone', 'prj_1'),
  row(2, '2026-11-30T09:00:00.000Z', 'hold', 0, 'acct_a', 'prj_1'),
  row(1, '2026-11-01T09:00:00.000Z', 'grant', 100, null, null),
];

describe('team cost report', () => {
  it('sums only the month’s captures per project and per member, largest first, with totals', () => {
    expect(monthReport(rows, '2026-12')).toEqual({
      month: '2026-12',
      byProject: [
        { id: 'prj_1', spent: 40, runs: 2 },
        { id: null, spent: 12, runs: 1 },
      ],
      byMember: [
        { id: 'acct_b', spent: 30, runs: 1 },
        { id: 'acct_a', spent: 22, runs: 2 },
      ],
      total: 52,
      runs: 3,
    });
    // The last millisecond of November is November's (UTC months).
    expect(monthReport(rows, '2026-11')).toMatchObject({ total: 8, runs: 1 });
    expect(monthReport(rows, '2026-10')).toMatchObject({ byProject: [], total: 0, runs: 0 });
  });

  it('counts what a member spent offline (a settle) in credits, not in runs', () => {
    const withSettle = [
      row(8, '2026-12-03T08:00:00.000Z', 'settle', -7, 'acct_b', 'prj_2'),
      ...rows,
    ];
    const report = monthReport(withSettle, '2026-12');
    expect(report).toMatchObject({ total: 59, runs: 3 });
    expect(report.byProject).toContainEqual({ id: 'prj_2', spent: 7, runs: 0 });
    expect(report.byMember[0]).toEqual({ id: 'acct_b', spent: 37, runs: 1 });
    expect(
      reportMonths(
        [row(9, '2027-01-02T00:00:00.000Z', 'settle', -1, 'acct_b', null)],
        '2026-12-05T00:00:00.000Z',
      ),
    ).toEqual(['2027-01', '2026-12']);
  });

  it('offers this month and every month with charges, newest first', () => {
    expect(reportMonths(rows, '2027-01-05T00:00:00.000Z')).toEqual([
      '2027-01',
      '2026-12',
      '2026-11',
    ]);
  });

  it('CSV: a line per project and per member, then the total; names quoted where needed', () => {
    const csv = reportCsv(monthReport(rows, '2026-12'), {
      project: (id) => (id === null ? 'No project' : 'Spring, "catalog"'),
      member: (id) => `${id ?? ''}@example.com`,
    }).split('\n');
    expect(csv).toEqual([
      'month,kind,name,runs,credits',
      '"2026-12","project","Spring, ""catalog""","2","40"',
      '"2026-12","project","No project","1","12"',
      '"2026-12","member","acct_b@example.com","1","30"',
      '"2026-12","member","acct_a@example.com","2","22"',
      '"2026-12","total","","3","52"',
    ]);
  });
});
