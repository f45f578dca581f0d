import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ChainHead } from '../../shared/ledger/chain';
import { JsonFile } from '../storage/json-file';

const StoredHeadFile = z.strictObject({
  accountId: z.string().min(1),
  seq: z.int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * The highest verified head the renderer has confirmed stored, per install (docs/architecture.md
 * §4). It lives outside the renderer's cache, so a cache put back to an older copy is seen as a
 * rollback even offline: the renderer shows that copy as its last proven state, marked, and
 * pulls the rest when it can.
 */
export class StoredHead {
  private readonly file: JsonFile<typeof StoredHeadFile>;

  constructor(dataDir: string) {
    this.file = new JsonFile(join(dataDir, 'ledger-head.json'), StoredHeadFile);
  }

  async get(accountId: string | null): Promise<ChainHead | null> {
    const head = await this.file.read();
    if (!head || head.accountId !== accountId) return null;
    return { seq: head.seq, hash: head.hash };
  }

  /** Only ever moves forward for one account: a re-pull from an earlier head keeps the highest. */
  async record(accountId: string, head: ChainHead): Promise<void> {
    // An unreadable file is replaced: it only ever holds this value, and the renderer's next
    // verified batch is what it should say (nothing else is lost).
    const current = await this.file.read().catch(() => null);
    if (current?.accountId === accountId && current.seq >= head.seq) return;
    await this.file.write({ accountId, ...head });
  }

  /** Signed out: nothing of the old account's history applies. */
  async forget(): Promise<void> {
    // Removed whether readable or not: the next account starts without it.
    await rm(this.file.path, { force: true });
  }
}
