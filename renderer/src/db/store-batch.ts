import type { SignedCheckpoint, PublicKeyInfo } from '../../../shared/ledger/checkpoint';
import type { WireEntry } from '../../../shared/ledger/entry';
import type { EaselDb, CursorRow } from './db';
import { referencedHolds, toRows } from './rows';

export const GENESIS_HASH = '0'.repeat(64);

export async function readCursor(db: EaselDb): Promise<CursorRow | undefined> {
  return db.cursor.get('head');
}

/**
 * Stores a verified batch, its checkpoint and the new cursor in ONE transaction: after a crash
 * the cache is either before or after the batch, never between.
 */
export async function storeBatch(
  db: EaselDb,
  accountId: string,
  entries: readonly WireEntry[],
  checkpoint: SignedCheckpoint,
  keys: PublicKeyInfo[],
): Promise<{ seq: number; hash: string }> {
  const head = { seq: checkpoint.checkpoint.seq, hash: checkpoint.checkpoint.head };
  await db.transaction('rw', db.entries, db.cursor, async () => {
    const holdTools = new Map<string, string>();
    const missing = referencedHolds(entries);
    if (missing.length > 0) {
      const holds = await db.entries.where('holdId').anyOf(missing).toArray();
      for (const h of holds) if (h.holdId) holdTools.set(h.holdId, h.tool);
    }
    const rows = toRows(entries, holdTools);
    if (rows.length > 0) await db.entries.bulkPut(rows);
    await db.cursor.put({ id: 'head', accountId, ...head, checkpoint, keys });
  });
  return head;
}

/** Forgets everything of an account (sign out, or another account signed in). */
export async function clearAccount(db: EaselDb): Promise<void> {
  await db.transaction(
    'rw',
    [db.entries, db.cursor, db.snapshots, db.gallery, db.outbox, db.designs],
    async () => {
      await Promise.all([
        db.entries.clear(),
        db.cursor.clear(),
        db.snapshots.clear(),
        db.gallery.clear(),
        db.outbox.clear(),
        db.designs.clear(),
      ]);
    },
  );
}
