import type { WireEntry } from '../../../shared/ledger/entry';
import type { Activity } from './activities';
import type { ActivityPage, EaselDb } from './db';

/**
 * Activities are stored 100 to a record, like entries (docs/architecture.md §9): activity n lives
 * in page floor(n / 100). A page lists the keys of its activities still open (a hold waiting for
 * its capture or release, an allowance not yet closed), so a later batch finds them by index.
 */
export const ACTIVITY_PAGE = 100;

const OPEN = new Set<Activity['status']>(['pending', 'reserved']);

/** Open activities with the given keys (call inside a transaction on `db.activities`). */
export async function openActivities(
  db: EaselDb,
  keys: readonly string[],
): Promise<Map<string, Activity>> {
  const open = new Map<string, Activity>();
  if (keys.length === 0) return open;
  const wanted = new Set(keys);
  const pageKeys = await db.activities
    .where('open')
    .anyOf([...wanted])
    .primaryKeys();
  const pages = await db.activities.bulkGet([...new Set(pageKeys)]);
  for (const p of pages)
    for (const a of p?.items ?? []) if (wanted.has(a.key) && OPEN.has(a.status)) open.set(a.key, a);
  return open;
}

/** Writes new and updated activities into their pages (inside a 'rw' transaction). */
export async function saveActivities(db: EaselDb, changed: readonly Activity[]): Promise<void> {
  if (changed.length === 0) return;
  const byPage = new Map<number, Activity[]>();
  for (const a of changed) {
    const p = Math.floor(a.n / ACTIVITY_PAGE);
    const list = byPage.get(p);
    if (list) list.push(a);
    else byPage.set(p, [a]);
  }
  const numbers = [...byPage.keys()];
  const stored = await db.activities.bulkGet(numbers);
  const pages: ActivityPage[] = numbers.map((page, i) => {
    const items = stored[i]?.items ?? [];
    for (const a of byPage.get(page) ?? []) items[a.n % ACTIVITY_PAGE] = a;
    const open: string[] = [];
    for (const a of items) if (OPEN.has(a.status)) open.push(a.key);
    return { page, items, open };
  });
  await db.activities.bulkPut(pages);
}

/** Activities with lo <= n <= hi, in order. */
export async function readActivities(db: EaselDb, lo: number, hi: number): Promise<Activity[]> {
  if (hi < lo || hi < 0) return [];
  const from = Math.max(0, lo);
  const pages = await db.activities
    .where('page')
    .between(Math.floor(from / ACTIVITY_PAGE), Math.floor(hi / ACTIVITY_PAGE), true, true)
    .toArray();
  const out: Activity[] = [];
  for (const p of pages) for (const a of p.items) if (a.n >= from && a.n <= hi) out.push(a);
  return out;
}

/** Keys of open activities that entries of a batch may resolve (captures, releases, unreserves). */
export function resolvedKeys(entries: readonly WireEntry[]): string[] {
  const keys = new Set<string>();
  const hold = /"holdId":"([^"\\]*)"/;
  const allowance = /"allowanceId":"([^"\\]*)"/;
  for (const e of entries) {
    const b = e.body;
    if (b.includes('"type":"capture"') || b.includes('"type":"release"')) {
      const id = hold.exec(b)?.[1];
      if (id) keys.add(`hold:${id}`);
    } else if (b.includes('"type":"unreserve"')) {
      const id = allowance.exec(b)?.[1];
      if (id) keys.add(`allowance:${id}`);
    }
  }
  return [...keys];
}

/** Activities that began at or after `since` (ISO), newest pages first; reads only those pages. */
export async function readActivitiesSince(db: EaselDb, since: string): Promise<Activity[]> {
  const pages = await db.activities
    .reverse()
    .until((p) => (p.items[0]?.at ?? '') < since, true)
    .toArray();
  const out: Activity[] = [];
  for (const p of pages) for (const a of p.items) if (a && a.at >= since) out.push(a);
  return out;
}
