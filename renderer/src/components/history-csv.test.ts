import { describe, expect, it } from 'vitest';
import type { Activity } from '../db/activities';
import { activitiesCsv, csvCell } from './history-csv';

const run: Activity = {
  n: 1,
  key: 'hold:h1',
  kind: 'generate',
  title: '=SUM(A1) "quoted" harbour',
  detail: 'Image generation · 6 credits charged',
  credits: -6,
  creditKind: 'image',
  balanceAfter: 64,
  at: '2026-11-01T10:00:00.000Z',
  status: 'charged',
  seqs: [3, 4],
  ref: 'job_1',
  search: '',
};

describe('History CSV', () => {
  it('keeps text that starts like a formula as text, and numbers as numbers', () => {
    for (const lead of ['=', '+', '-', '@', '\t'])
      expect(csvCell(`${lead}1+1`)).toBe(`"'${lead}1+1"`);
    expect(csvCell(-6)).toBe('"-6"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });

  it('writes one row per activity with its entries’ seqs', () => {
    const lines = activitiesCsv([run]).trim().split('\n');
    expect(lines).toEqual([
      '"date","activity","description","credits","balance after","kind","status","job/item id","entry seqs"',
      `"2026-11-01T10:00:00.000Z","Generate","'=SUM(A1) ""quoted"" harbour — Image generation · 6 credits charged","-6","64","image","charged","job_1","3 4"`,
    ]);
  });
});
