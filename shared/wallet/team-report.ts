import type { TeamWalletRow } from '../api/teams';
import type { EntryBody } from '../ledger/entry';

/**
 * What the cost report reads of one team chain entry (docs/architecture.md §14): main's verified
 * rows (`TeamWalletRow`) and the server's entries (`reportRowOf`) both fit, so the app's report
 * and the `/report` route are one fold, `monthReport`.
 */
export type ReportInput = Pick<
  TeamWalletRow,
  'type' | 'at' | 'credits' | 'memberId' | 'projectId' | 'holdId'
>;

/** One line of the cost report: a project (null: no project) or a member. */
export interface ReportLine {
  id: string | null;
  spent: number;
  runs: number;
}

export interface MonthReport {
  month: string;
  byProject: ReportLine[];
  byMember: ReportLine[];
  total: number;
  runs: number;
}

const monthOf = (iso: string): string => iso.slice(0, 7);

/** A row that charges the team: a run's capture, or a settle of what was spent offline. */
const charged = (r: ReportInput): boolean => r.type === 'capture' || r.type === 'settle';

/**
 * The report's view of a team chain entry on the server, as main makes its rows: a capture or
 * settle takes credits (negative), a refund gives them back and names the hold that paid;
 * anything else is not read by the report (null).
 */
export function reportRowOf(e: EntryBody): ReportInput | null {
  const tag = { memberId: null, projectId: null };
  switch (e.type) {
    case 'capture':
      return { type: e.type, at: e.at, credits: -e.amount, ...(e.team ?? tag), holdId: e.holdId };
    case 'settle':
      return { type: e.type, at: e.at, credits: -e.amount, ...(e.team ?? tag) };
    case 'refund':
      return { type: e.type, at: e.at, credits: e.amount, ...tag, holdId: e.paidBy };
    default:
      return null;
  }
}

/**
 * Cost per project and per member for one UTC month (`2026-12`), from a team chain's rows in any
 * order (docs/architecture.md §14): each capture (a run) and each settle (spent offline from a
 * member's allowance, counted in credits, not runs) is charged to the member and project its signed
 * `team` field names. A refund (a disliked image) lowers the credits of the capture of the hold
 * that paid for it — in that capture's month, as it lowers that month's budget use — and leaves
 * its run counted.
 */
export function monthReport(rows: Iterable<ReportInput>, month: string): MonthReport {
  const projects = new Map<string | null, ReportLine>();
  const members = new Map<string | null, ReportLine>();
  const add = (
    m: Map<string | null, ReportLine>,
    id: string | null,
    amount: number,
    count: number,
  ) => {
    const line = m.get(id) ?? { id, spent: 0, runs: 0 };
    line.spent += amount;
    line.runs += count;
    m.set(id, line);
  };
  let total = 0;
  let runs = 0;
  const captures = new Map<string, { memberId: string; projectId: string | null }>();
  const refunds: ReportInput[] = [];
  for (const r of rows) {
    if (r.type === 'refund') refunds.push(r);
    if (!charged(r) || monthOf(r.at) !== month || r.memberId === null) continue;
    const amount = -r.credits;
    const count = r.type === 'capture' ? 1 : 0; // spending offline is not a run
    add(projects, r.projectId, amount, count);
    add(members, r.memberId, amount, count);
    total += amount;
    runs += count;
    if (r.type === 'capture' && r.holdId)
      captures.set(r.holdId, { memberId: r.memberId, projectId: r.projectId });
  }
  for (const r of refunds) {
    const capture = r.holdId ? captures.get(r.holdId) : undefined;
    if (!capture) continue; // a refund of another month's run, or of no team run
    add(projects, capture.projectId, -r.credits, 0);
    add(members, capture.memberId, -r.credits, 0);
    total -= r.credits;
  }
  const sorted = (m: Map<string | null, ReportLine>) =>
    [...m.values()].sort((a, b) => b.spent - a.spent || b.runs - a.runs);
  return { month, byProject: sorted(projects), byMember: sorted(members), total, runs };
}

/** The months the report can show: this month, and every month the chain charged anything in. */
export function reportMonths(rows: Iterable<ReportInput>, now: string): string[] {
  const months = new Set([monthOf(now)]);
  for (const r of rows) if (charged(r)) months.add(monthOf(r.at));
  return [...months].sort().reverse();
}
