import type { EaselDb, EntryRow } from '../db/db';
import { readRows } from '../db/entry-pages';

export type HistoryRow = Omit<EntryRow, 'body'>;

export interface HistoryFilter {
  type: string;
  tool: string;
  kind: string;
  from: string;
  to: string;
  search: string;
}

export const emptyFilter: HistoryFilter = {
  type: '',
  tool: '',
  kind: '',
  from: '',
  to: '',
  search: '',
};

export const isFiltered = (f: HistoryFilter): boolean => Object.values(f).some((v) => v !== '');

const PAGE = 100;

/** Rows newest first by page, straight from IndexedDB by seq range: no full load needed. */
export class PageCache {
  private pages = new Map<number, HistoryRow[]>();
  private loading = new Set<number>();
  constructor(
    private readonly db: EaselDb,
    readonly head: number,
  ) {}

  row(index: number): HistoryRow | undefined {
    return this.pages.get(Math.floor(index / PAGE))?.[index % PAGE];
  }

  /** Loads the pages covering [start, end); resolves true when something new arrived. */
  async ensure(start: number, end: number): Promise<boolean> {
    const wanted: number[] = [];
    for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end - 1) / PAGE); p++)
      if (!this.pages.has(p) && !this.loading.has(p)) wanted.push(p);
    await Promise.all(
      wanted.map(async (p) => {
        this.loading.add(p);
        const hi = this.head - p * PAGE;
        const lo = Math.max(1, hi - PAGE + 1);
        const rows = await readRows(this.db, lo, hi);
        this.pages.set(p, rows.reverse().map(strip));
        this.loading.delete(p);
      }),
    );
    return wanted.length > 0;
  }
}

function strip(r: EntryRow): HistoryRow {
  return {
    seq: r.seq,
    hash: r.hash,
    type: r.type,
    at: r.at,
    kind: r.kind,
    tool: r.tool,
    delta: r.delta,
    amount: r.amount,
    label: r.label,
  };
}

/** Every row (without bodies), newest first, loaded in chunks that never block for long. */
export async function loadAll(db: EaselDb, head: number): Promise<HistoryRow[]> {
  const out: HistoryRow[] = [];
  const CHUNK = 2000;
  for (let hi = head; hi >= 1; hi -= CHUNK) {
    const rows = await readRows(db, Math.max(1, hi - CHUNK + 1), hi);
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i];
      if (r) out.push(strip(r));
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}

export function applyFilter(rows: readonly HistoryRow[], f: HistoryFilter): HistoryRow[] {
  const q = f.search.trim().toLowerCase();
  const to = f.to ? `${f.to}T23:59:59.999Z` : '';
  return rows.filter(
    (r) =>
      (!f.type || r.type === f.type) &&
      (!f.tool || r.tool === f.tool) &&
      (!f.kind || r.kind === f.kind) &&
      (!f.from || r.at >= f.from) &&
      (!to || r.at <= to) &&
      (!q || `${r.label} ${r.type} ${r.tool} ${r.seq}`.toLowerCase().includes(q)),
  );
}

const csvCell = (v: string | number): string => {
  const s = String(v);
  // Quote always; neutralise spreadsheet formulas.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
};

export function toCsv(rows: readonly HistoryRow[], verifiedThrough: number): string {
  const head = [
    'seq',
    'at',
    'type',
    'tool',
    'kind',
    'change',
    'amount',
    'description',
    'verified',
    'hash',
  ];
  const lines = [head.join(',')];
  for (const r of rows)
    lines.push(
      [
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
      ]
        .map(csvCell)
        .join(','),
    );
  return `${lines.join('\n')}\n`;
}
