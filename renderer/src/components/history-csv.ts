import { ACTIVITY_WORDS, type Activity } from '../db/activities';
import type { EntryRow } from '../db/db';

/**
 * Quotes every cell and neutralises spreadsheet formulas: a text cell starting with =, +, -, @
 * (or a tab or carriage return) gets a leading apostrophe, so a prompt such as "=HYPERLINK(…)"
 * stays text. Numbers are written as numbers.
 */
export function csvCell(v: string | number): string {
  const s = String(v);
  const safe = typeof v === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

const csv = (head: string[], rows: Array<Array<string | number>>): string =>
  `${[head.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n')}\n`;

/** One row per activity: what History shows. */
export function activitiesCsv(list: readonly Activity[]): string {
  return csv(
    [
      'date',
      'activity',
      'description',
      'credits',
      'balance after',
      'kind',
      'status',
      'job/item id',
      'entry seqs',
    ],
    list.map((a) => [
      a.at,
      ACTIVITY_WORDS[a.kind],
      a.detail ? `${a.title} — ${a.detail}` : a.title,
      a.credits,
      Number.isFinite(a.balanceAfter) ? a.balanceAfter : '',
      a.creditKind,
      a.status,
      a.ref,
      a.seqs.join(' '),
    ]),
  );
}

/** Every ledger entry with its hash and whether it is verified: for an auditor. */
export function entriesCsv(rows: readonly EntryRow[], verifiedThrough: number): string {
  return csv(
    ['seq', 'date', 'type', 'tool', 'kind', 'change', 'amount', 'description', 'verified', 'hash'],
    rows.map((r) => [
      r.seq,
      r.at,
      r.type,
      r.tool,
      r.kind,
      r.delta,
      r.amount,
      r.label,
      r.seq <= verifiedThrough ? 'yes' : 'no',
      r.hash,
    ]),
  );
}
