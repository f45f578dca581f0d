import { ACTIVITY_PAGE, readActivities } from '../db/activity-pages';
import type { Activity, ActivityKind, ActivityStatus } from '../db/activities';
import type { EaselDb, EntryRow, GalleryRow } from '../db/db';
import { readRows } from '../db/entry-pages';

export interface HistoryFilter {
  kind: '' | ActivityKind;
  status: '' | ActivityStatus;
  from: string;
  to: string;
  search: string;
}

export const emptyFilter: HistoryFilter = { kind: '', status: '', from: '', to: '', search: '' };

export const isFiltered = (f: HistoryFilter): boolean => Object.values(f).some((v) => v !== '');

/**
 * The picture each activity shows, by the activity's ref (docs/architecture.md §9): a run (ref:
 * its job id) shows its first image; a refund (ref: the disliked image's item id) shows the very
 * image it refunds, which in a run of several need not be the first.
 */
export function imagesByRef(
  gallery: readonly Pick<GalleryRow, 'itemId' | 'jobId' | 'sha256'>[],
): Map<string, string> {
  const byRef = new Map<string, string>();
  for (const g of gallery) {
    if (!byRef.has(g.jobId)) byRef.set(g.jobId, g.sha256);
    byRef.set(g.itemId, g.sha256);
  }
  return byRef;
}

/**
 * Activities newest first, read page by page from IndexedDB as the list scrolls: History's first
 * paint reads one page, whatever the size of the ledger (docs/architecture.md §9).
 */
export class ActivityCache {
  private pages = new Map<number, Activity[]>();
  private loading = new Set<number>();
  constructor(
    private readonly db: EaselDb,
    /** How many activities are stored. */
    readonly count: number,
  ) {}

  /** The activity shown at `index` (0 = newest). */
  row(index: number): Activity | undefined {
    const n = this.count - 1 - index;
    return this.pages.get(Math.floor(n / ACTIVITY_PAGE))?.[n % ACTIVITY_PAGE];
  }

  /** Loads the pages covering display rows [start, end); true when something new arrived. */
  async ensure(start: number, end: number): Promise<boolean> {
    const wanted = new Set<number>();
    for (const i of [start, Math.max(start, end - 1)]) {
      const n = this.count - 1 - i;
      if (n >= 0) wanted.add(Math.floor(n / ACTIVITY_PAGE));
    }
    const lo = Math.min(...wanted);
    const hi = Math.max(...wanted);
    const fresh: number[] = [];
    for (let p = lo; p <= hi; p++) if (!this.pages.has(p) && !this.loading.has(p)) fresh.push(p);
    await Promise.all(
      fresh.map(async (p) => {
        this.loading.add(p);
        const items = await readActivities(
          this.db,
          p * ACTIVITY_PAGE,
          Math.min(this.count, (p + 1) * ACTIVITY_PAGE) - 1,
        );
        const byN: Activity[] = [];
        for (const a of items) byN[a.n % ACTIVITY_PAGE] = a;
        this.pages.set(p, byN);
        this.loading.delete(p);
      }),
    );
    return fresh.length > 0;
  }
}

/** Every stored activity, newest first, read in chunks that never block for long. */
export async function loadAllActivities(db: EaselDb, count: number): Promise<Activity[]> {
  const out: Activity[] = [];
  const CHUNK = 5000;
  for (let hi = count - 1; hi >= 0; hi -= CHUNK) {
    const items = await readActivities(db, Math.max(0, hi - CHUNK + 1), hi);
    for (let i = items.length - 1; i >= 0; i--) {
      const a = items[i];
      if (a) out.push(a);
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}

/** Activities matching the filter; the search looks in titles (prompts, designs, packs) and words. */
export function applyFilter(list: readonly Activity[], f: HistoryFilter): Activity[] {
  const q = f.search.trim().toLowerCase();
  const to = f.to ? `${f.to}T23:59:59.999Z` : '';
  return list.filter(
    (a) =>
      (!f.kind || a.kind === f.kind) &&
      (!f.status || a.status === f.status) &&
      (!f.from || a.at >= f.from) &&
      (!to || a.at <= to) &&
      (!q || a.search.includes(q)),
  );
}

/**
 * History's search over every loaded activity, built once when they are loaded: the lower-case
 * search texts sit in one array, and a query that extends the previous one (the next keystroke)
 * looks only among the previous matches (docs/architecture.md §9).
 */
export class ActivitySearch {
  private readonly texts: string[];
  private last: { rest: string; q: string; hits: number[] } | null = null;

  constructor(readonly list: readonly Activity[]) {
    this.texts = list.map((a) => a.search);
  }

  /** The activities matching `f`, in list order: the same as applyFilter(list, f). */
  filter(f: HistoryFilter): Activity[] {
    const q = f.search.trim().toLowerCase();
    const rest = `${f.kind}|${f.status}|${f.from}|${f.to}`;
    const prev = this.last;
    const within = prev && prev.rest === rest && q.includes(prev.q) ? prev.hits : null;
    const to = f.to ? `${f.to}T23:59:59.999Z` : '';
    const hits: number[] = [];
    const out: Activity[] = [];
    const test = (i: number): void => {
      const a = this.list[i];
      if (
        a &&
        (!q || (this.texts[i] ?? '').includes(q)) &&
        (!f.kind || a.kind === f.kind) &&
        (!f.status || a.status === f.status) &&
        (!f.from || a.at >= f.from) &&
        (!to || a.at <= to)
      ) {
        hits.push(i);
        out.push(a);
      }
    };
    if (within) for (const i of within) test(i);
    else for (let i = 0; i < this.texts.length; i++) test(i);
    this.last = { rest, q, hits };
    return out;
  }
}

/** The ledger entries an activity was built from, in seq order. */
export async function entriesOf(db: EaselDb, a: Activity): Promise<EntryRow[]> {
  const lo = Math.min(...a.seqs);
  const hi = Math.max(...a.seqs);
  const wanted = new Set(a.seqs);
  return (await readRows(db, lo, hi)).filter((r) => wanted.has(r.seq));
}

/** The line above History's list: how many activities show, or why none do. */
export function historyStatus(s: {
  filter: HistoryFilter;
  /** The filtered list, or null while every activity is still loading for the search. */
  rows: readonly Activity[] | null;
  total: number;
}): string {
  const filtered = isFiltered(s.filter);
  const q = s.filter.search.trim();
  if (filtered && !s.rows) return 'Searching…';
  if (s.total === 0 && filtered)
    return q ? `No activities match “${q}”.` : 'No activities match these filters.';
  if (s.total === 0) return 'No activities yet.';
  return activitiesText(s.total);
}

/** "1 activity", "2,345 activities". */
const activitiesText = (n: number): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? 'activity' : 'activities'}`;
