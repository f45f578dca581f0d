import type { EaselDb, EntryPage, EntryRow } from './db';
import type { HoldInfo } from './rows';

/**
 * Stored entries live in pages of PAGE_SIZE rows, one IndexedDB record each: IndexedDB's cost is
 * per record (100k one-row records took ~7 s to write in Chromium, 1,000 pages ~0.5 s), and the
 * History screen reads 100 rows at a time anyway. Page p holds seqs p * 100 + 1 … p * 100 + 100.
 */
export const PAGE_SIZE = 100;

const pageOf = (seq: number): number => Math.floor((seq - 1) / PAGE_SIZE);

function pageRecord(page: number, rows: EntryRow[]): EntryPage {
  const holdIds: string[] = [];
  for (const r of rows) if (r.holdId) holdIds.push(r.holdId);
  return { page, rows, holdIds };
}

/** Groups rows of consecutive seqs into page records; throws on a gap or a reordering. */
export function paginate(rows: readonly EntryRow[]): EntryPage[] {
  const pages: EntryPage[] = [];
  let current: EntryRow[] = [];
  let currentPage = -1;
  let prev: number | null = null;
  for (const row of rows) {
    if (prev !== null && row.seq !== prev + 1) {
      throw new Error(`entries to store are not consecutive: ${row.seq} follows ${prev}`);
    }
    prev = row.seq;
    const p = pageOf(row.seq);
    if (p !== currentPage) {
      if (current.length > 0) pages.push(pageRecord(currentPage, current));
      current = [];
      currentPage = p;
    }
    current.push(row);
  }
  if (current.length > 0) pages.push(pageRecord(currentPage, current));
  return pages;
}

/**
 * Appends rows (consecutive seqs) to the stored pages; call inside a 'rw' transaction on
 * `db.pages`. The page the first row falls in is merged with what is stored of it, and the
 * stored rows must end right before the first new one.
 */
export async function appendRows(db: EaselDb, rows: readonly EntryRow[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const merged: EntryRow[] = [];
  if ((first.seq - 1) % PAGE_SIZE !== 0) {
    const stored = await db.pages.get(pageOf(first.seq));
    for (const r of stored?.rows ?? []) if (r.seq < first.seq) merged.push(r);
    const last = merged.at(-1);
    if (!last || last.seq !== first.seq - 1) {
      throw new Error(`stored entries do not reach ${first.seq - 1}; cannot append ${first.seq}`);
    }
  }
  for (const r of rows) merged.push(r);
  await db.pages.bulkPut(paginate(merged));
}

/** Stored rows with lo <= seq <= hi, in seq order. */
export async function readRows(db: EaselDb, lo: number, hi: number): Promise<EntryRow[]> {
  if (hi < lo || hi < 1) return [];
  const from = Math.max(1, lo);
  const pages = await db.pages
    .where('page')
    .between(pageOf(from), pageOf(hi), true, true)
    .toArray();
  const out: EntryRow[] = [];
  for (const p of pages) for (const r of p.rows) if (r.seq >= from && r.seq <= hi) out.push(r);
  return out;
}

/** The newest rows, newest first, down to the first page whose newest row `isOlder` says to stop at. */
export async function readNewestUntil(
  db: EaselDb,
  isOlder: (row: EntryRow) => boolean,
): Promise<EntryRow[]> {
  const pages = await db.pages
    .reverse()
    .until((p) => {
      const newest = p.rows.at(-1);
      return newest === undefined || isOlder(newest);
    })
    .toArray();
  const out: EntryRow[] = [];
  for (const p of pages) out.push(...[...p.rows].reverse());
  return out;
}

/** The tool and credit kind of each hold id found among the stored rows. */
export async function storedHolds(
  db: EaselDb,
  holdIds: readonly string[],
): Promise<Map<string, HoldInfo>> {
  const holds = new Map<string, HoldInfo>();
  if (holdIds.length === 0) return holds;
  const wanted = new Set(holdIds);
  // Page numbers first (index only), then each page once: a page holds many holds.
  const keys = await db.pages
    .where('holdIds')
    .anyOf([...wanted])
    .primaryKeys();
  const pages = (await db.pages.bulkGet([...new Set(keys)])).filter((p) => p !== undefined);
  for (const p of pages)
    for (const r of p.rows)
      if (r.holdId && wanted.has(r.holdId))
        holds.set(
          r.holdId,
          r.note ? { tool: r.tool, kind: r.kind, note: r.note } : { tool: r.tool, kind: r.kind },
        );
  return holds;
}

/** How many rows are stored. */
export async function countRows(db: EaselDb): Promise<number> {
  let n = 0;
  await db.pages.each((p) => {
    n += p.rows.length;
  });
  return n;
}
