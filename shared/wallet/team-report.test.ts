import { describe, expect, it } from 'vitest';
import type { EntryBody } from '../ledger/entry';
import { type ReportInput, monthReport, reportRowOf } from './team-report';

const row = (
  type: string,
  at: string,
  credits: number,
  memberId: string | null,
  projectId: string | null,
  holdId?: string,
): ReportInput => ({ type, at, credits, memberId, projectId, ...(holdId ? { holdId } : {}) });

// docs/architecture.md §14: a refunded (disliked) team image is taken off the report's credits
// for its run's member and project, in the month its run was charged in; the run still counts.
describe('team cost report with refunds', () => {
  const rows = [
    row('capture', '2026-11-30T23:40:00.000Z', -12, 'acct_a', 'prj_1', 'hold_1'),
    row('capture', '2026-12-01T09:00:00.000Z', -10, 'acct_a', 'prj_1', 'hold_2'),
    row('capture', '2026-12-01T09:05:00.000Z', -8, 'acct_b', null, 'hold_3'),
    row('refund', '2026-12-01T09:10:00.000Z', 4, null, null, 'hold_2'),
    // Next month's refund of a November run: November's report, not December's.
    row('refund', '2026-12-01T10:00:00.000Z', 5, null, null, 'hold_1'),
    // A refund of something that was not a team capture: not the report's.
    row('refund', '2026-12-01T11:00:00.000Z', 3, null, null, 'spend_9'),
  ];

  it('takes each refund off its capture’s member and project, and keeps the run', () => {
    expect(monthReport(rows, '2026-12')).toEqual({
      month: '2026-12',
      byProject: [
        { id: null, spent: 8, runs: 1 },
        { id: 'prj_1', spent: 6, runs: 1 },
      ],
      byMember: [
        { id: 'acct_b', spent: 8, runs: 1 },
        { id: 'acct_a', spent: 6, runs: 1 },
      ],
      total: 14,
      runs: 2,
    });
    expect(monthReport(rows, '2026-11')).toMatchObject({
      byMember: [{ id: 'acct_a', spent: 7, runs: 1 }],
      total: 7,
      runs: 1,
    });
  });

  it('gives the same report in any row order (the app’s rows are newest first)', () => {
    expect(monthReport([...rows].reverse(), '2026-12')).toEqual(monthReport(rows, '2026-12'));
  });

  it('reads the server’s entries the way main makes its rows', () => {
    const base = { v: 1, accountId: 'acct_team', operationId: 'op_1', seq: 2 } as const;
    const refund: EntryBody = {
      ...base,
      type: 'refund',
      at: '2026-12-01T09:10:00.000Z',
      itemId: 'item_1',
      paidBy: 'hold_2',
      kind: 'image',
      amount: 4,
      splits: [],
      newBucket: null,
      reason: 'disliked image',
    };
    expect(reportRowOf(refund)).toEqual(row('refund', refund.at, 4, null, null, 'hold_2'));
    const capture: EntryBody = {
      ...base,
      type: 'capture',
      at: '2026-12-01T09:00:00.000Z',
      holdId: 'hold_2',
      amount: 10,
      splits: [],
      team: { memberId: 'acct_a', projectId: 'prj_1' },
    };
    expect(reportRowOf(capture)).toEqual(rows[1]);
  });
});
