import type { SignedCheckpoint, PublicKeyInfo } from '../../../shared/ledger/checkpoint';
import type { WireEntry } from '../../../shared/ledger/entry';
import { ActivityBuilder, initialActivityState, type ActivityContext } from './activities';
import { openActivities, resolvedKeys, saveActivities } from './activity-pages';
import type { EaselDb, CursorRow, EntryRow } from './db';
import { appendRows, readRows, storedHolds } from './entry-pages';
import { referencedHolds, toRows, type LooseBody } from './rows';

export const GENESIS_HASH = '0'.repeat(64);

export async function readCursor(db: EaselDb): Promise<CursorRow | undefined> {
  return db.cursor.get('head');
}

/** Titles from the local catalog cache, for entries written before they carried their own. */
async function catalogLookups(db: EaselDb): Promise<Pick<ActivityContext, 'designTitle' | 'item'>> {
  const [designs, store] = await Promise.all([db.designs.toArray(), db.catalog.get('store')]);
  const titles = new Map(designs.map((d) => [d.designId, d.title]));
  const items = new Map<string, { title: string; type: string }>();
  for (const p of store?.catalog.packs ?? []) items.set(p.itemId, { title: p.title, type: 'pack' });
  for (const p of store?.catalog.plans ?? []) items.set(p.itemId, { title: p.title, type: 'plan' });
  return { designTitle: (id) => titles.get(id), item: (id) => items.get(id) };
}

/**
 * Stores a verified batch, its checkpoint, the new cursor and the History activities the batch
 * makes or changes, in ONE transaction: after a crash the cache is either before or after the
 * batch, never between (docs/architecture.md §4, §9).
 */
export async function storeBatch(
  db: EaselDb,
  accountId: string,
  entries: readonly WireEntry[],
  checkpoint: SignedCheckpoint,
  keys: PublicKeyInfo[],
): Promise<{ seq: number; hash: string }> {
  const head = { seq: checkpoint.checkpoint.seq, hash: checkpoint.checkpoint.head };
  await db.transaction(
    'rw',
    [db.pages, db.cursor, db.checkpoints, db.activities, db.designs, db.catalog],
    async () => {
      const cursor = await readCursor(db);
      const state =
        cursor?.activities ??
        (cursor && cursor.seq > 0
          ? await rebuildActivities(db, cursor.seq)
          : initialActivityState());
      const [holds, open, lookups] = await Promise.all([
        storedHolds(db, referencedHolds(entries)),
        openActivities(db, resolvedKeys(entries)),
        catalogLookups(db),
      ]);
      const builder = new ActivityBuilder(state, { open, holds, ...lookups });
      const rows = toRows(entries, holds, (row, body) => builder.add(row, body));
      await appendRows(db, rows);
      await saveActivities(db, builder.changed);
      // Every batch keeps its checkpoint: a later break loses only what follows it (§3).
      await db.checkpoints.put(checkpoint);
      await db.cursor.put({
        id: 'head',
        accountId,
        ...head,
        checkpoint,
        keys,
        activities: builder.state,
      });
    },
  );
  return head;
}

/**
 * Rebuilds History's activities from the rows still stored (after the cache healed and dropped
 * unproven rows), in one transaction with the cursor that records their state.
 */
export async function rebuildActivityCache(db: EaselDb): Promise<void> {
  await db.transaction(
    'rw',
    [db.pages, db.cursor, db.activities, db.designs, db.catalog],
    async () => {
      const cursor = await readCursor(db);
      await db.activities.clear();
      if (!cursor || cursor.seq === 0) return;
      const activities = await rebuildActivities(db, cursor.seq);
      await db.cursor.put({ ...cursor, activities });
    },
  );
}

/** Builds every activity from the stored rows (a cache from before activities existed). */
async function rebuildActivities(db: EaselDb, through: number) {
  const rows: EntryRow[] = await readRows(db, 1, through);
  const { holds, open, ...lookups } = {
    holds: new Map(),
    open: new Map(),
    ...(await catalogLookups(db)),
  };
  const builder = new ActivityBuilder(initialActivityState(), { holds, open, ...lookups });
  for (const row of rows) {
    const body = JSON.parse(row.body) as LooseBody;
    if (row.holdId)
      holds.set(
        row.holdId,
        row.note
          ? { tool: row.tool, kind: row.kind, note: row.note }
          : { tool: row.tool, kind: row.kind },
      );
    builder.add(row, body);
  }
  await db.activities.clear();
  await saveActivities(db, builder.changed);
  return builder.state;
}

/** Forgets everything of an account (sign out, or another account signed in). */
export async function clearAccount(db: EaselDb): Promise<void> {
  await db.transaction(
    'rw',
    [
      db.pages,
      db.cursor,
      db.checkpoints,
      db.snapshots,
      db.gallery,
      db.outbox,
      db.designs,
      db.activities,
      db.runs,
    ],
    async () => {
      await Promise.all([
        db.pages.clear(),
        db.checkpoints.clear(),
        db.cursor.clear(),
        db.snapshots.clear(),
        db.gallery.clear(),
        db.outbox.clear(),
        db.designs.clear(),
        db.activities.clear(),
        db.runs.clear(),
      ]);
    },
  );
}
