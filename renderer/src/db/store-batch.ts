import type { SignedCheckpoint, PublicKeyInfo } from '../../../shared/ledger/checkpoint';
import type { WireEntry } from '../../../shared/ledger/entry';
import type { EaselDb, CursorRow } from './db';
import { appendRows, storedHolds } from './entry-pages';
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
  await db.transaction('rw', db.pages, db.cursor, db.checkpoints, async () => {
    const holds = await storedHolds(db, referencedHolds(entries));
    await appendRows(db, toRows(entries, holds));
    // Every batch keeps its checkpoint: a later break loses only what follows it (§3).
    await db.checkpoints.put(checkpoint);
    await db.cursor.put({ id: 'head', accountId, ...head, checkpoint, keys });
  });
  return head;
}

/** Forgets everything of an account (sign out, or another account signed in). */
export async function clearAccount(db: EaselDb): Promise<void> {
  await db.transaction(
    'rw',
    [db.pages, db.cursor, db.checkpoints, db.snapshots, db.gallery, db.outbox, db.designs],
    async () => {
      await Promise.all([
        db.pages.clear(),
        db.checkpoints.clear(),
        db.cursor.clear(),
        db.snapshots.clear(),
        db.gallery.clear(),
        db.outbox.clear(),
        db.designs.clear(),
      ]);
    },
  );
}
