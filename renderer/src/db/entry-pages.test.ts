import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDb, type EaselDb, type EntryRow } from './db';
import {
  PAGE_SIZE,
  appendRows,
  countRows,
  storedHolds,
  paginate,
  readNewestUntil,
  readRows,
} from './entry-pages';

let n = 0;
const fresh = (): string => `test-pages-${++n}`;

const row = (seq: number, extra: Partial<EntryRow> = {}): EntryRow => ({
  seq,
  hash: seq.toString(16).padStart(64, '0'),
  body: `{"seq":${seq}}`,
  type: 'spend',
  at: new Date(Date.UTC(2026, 10, 1) + seq * 60_000).toISOString(),
  kind: 'image',
  tool: 'generate',
  delta: -1,
  amount: 1,
  label: `row ${seq}`,
  ...extra,
});
const rows = (from: number, to: number): EntryRow[] =>
  Array.from({ length: to - from + 1 }, (_, i) => row(from + i));
const append = (db: EaselDb, r: EntryRow[]): Promise<void> =>
  db.transaction('rw', db.pages, () => appendRows(db, r));

describe('entry pages', () => {
  it('groups consecutive rows into pages of 100 aligned on seq 1', () => {
    const pages = paginate(rows(1, 250));
    expect(pages.map((p) => [p.page, p.rows.length, p.rows[0]?.seq])).toEqual([
      [0, PAGE_SIZE, 1],
      [1, PAGE_SIZE, 101],
      [2, 50, 201],
    ]);
    expect(() => paginate([row(1), row(3)])).toThrow(/not consecutive: 3 follows 1/);
    expect(() => paginate([row(2), row(1)])).toThrow(/not consecutive/);
  });

  it('appends batches that end and start mid-page, and reads any range back in order', async () => {
    const db = openDb(fresh());
    for (const [lo, hi] of [
      [1, 37],
      [38, 100],
      [101, 101],
      [102, 345],
    ] as const)
      await append(db, rows(lo, hi));
    expect(await countRows(db)).toBe(345);
    expect(await db.pages.count()).toBe(4);
    expect((await readRows(db, 1, 345)).map((r) => r.seq)).toEqual(rows(1, 345).map((r) => r.seq));
    expect((await readRows(db, 95, 205)).map((r) => r.seq)).toEqual(
      rows(95, 205).map((r) => r.seq),
    );
    expect(await readRows(db, 346, 400)).toEqual([]);
    expect(await readRows(db, 10, 9)).toEqual([]);
    db.close();
  });

  it('refuses a batch that does not continue the stored rows, and keeps what was stored', async () => {
    const db = openDb(fresh());
    await append(db, rows(1, 50));
    await expect(append(db, rows(52, 60))).rejects.toThrow(/do not reach 51/);
    await expect(append(db, rows(150, 160))).rejects.toThrow(/do not reach 149/);
    expect(await countRows(db)).toBe(50);
    db.close();
  });

  it('finds the tool of holds stored in earlier pages', async () => {
    const db = openDb(fresh());
    const batch = rows(1, 250);
    batch[4] = row(5, { type: 'hold', holdId: 'hold-a', tool: 'upscale' });
    batch[180] = row(181, { type: 'hold', holdId: 'hold-b', tool: 'cutout' });
    await append(db, batch);
    const tools = await storedHolds(db, ['hold-a', 'hold-b', 'hold-missing']);
    expect([...tools].sort()).toEqual([
      ['hold-a', { tool: 'upscale', kind: 'image' }],
      ['hold-b', { tool: 'cutout', kind: 'image' }],
    ]);
    expect(await storedHolds(db, [])).toEqual(new Map());
    db.close();
  });

  it('reads the newest rows first down to the page that reaches the cutoff', async () => {
    const db = openDb(fresh());
    await append(db, rows(1, 450));
    const cutoff = row(300).at;
    const newest = await readNewestUntil(db, (r) => r.at < cutoff);
    expect(newest[0]?.seq).toBe(450);
    // Whole pages, newest first: every row at or after the cutoff, and no page wholly older.
    expect(newest.filter((r) => r.at >= cutoff).map((r) => r.seq)).toEqual(
      rows(300, 450)
        .map((r) => r.seq)
        .reverse(),
    );
    expect(newest.at(-1)?.seq).toBe(201);
    db.close();
  });
});
