import type { ChainHead } from '../../../shared/ledger/chain';
import type { SignedCheckpoint } from '../../../shared/ledger/checkpoint';
import type { EaselDb } from '../db/db';
import { PAGE_SIZE, paginate } from '../db/entry-pages';
import { rebuildActivityCache } from '../db/store-batch';

/**
 * Drops every stored row, checkpoint and the snapshot from the first unproven seq on, and sets
 * the cursor back to the last proven head (genesis: nothing), in one transaction, so the next
 * pull fetches the rest again from the server (docs/architecture.md §4). History's activities are
 * then rebuilt from the rows kept, so none built from a dropped row survives.
 */
export async function dropUnproven(
  db: EaselDb,
  accountId: string,
  proven: ChainHead & { checkpoint: SignedCheckpoint | null },
): Promise<void> {
  const firstPage = Math.floor(proven.seq / PAGE_SIZE);
  await db.transaction('rw', [db.pages, db.cursor, db.checkpoints, db.snapshots], async () => {
    const partial = await db.pages.get(firstPage);
    await db.pages.where('page').aboveOrEqual(firstPage).delete();
    const kept = (partial?.rows ?? []).filter((r) => r.seq <= proven.seq);
    if (kept.length > 0) await db.pages.bulkPut(paginate(kept));
    await db.checkpoints.where(':id').above(proven.seq).delete();
    await db.snapshots.delete('wallet');
    if (proven.seq === 0 || !proven.checkpoint) {
      await db.checkpoints.clear();
      await db.cursor.delete('head');
    } else {
      await db.checkpoints.put(proven.checkpoint);
      await db.cursor.put({
        id: 'head',
        accountId,
        seq: proven.seq,
        hash: proven.hash,
        checkpoint: proven.checkpoint,
        keys: [],
      });
    }
  });
  await rebuildActivityCache(db);
}
