import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import type { EntryDraft } from '../../../shared/ledger/entry';
import { bucket, grant, testServerKeys } from '../../../shared/testing/ledger-fixture';
import { SCHEMA_V1, openDb } from './db';
import { countRows, readRows } from './entry-pages';
import { referencedHolds, toRows } from './rows';
import { storeBatch } from './store-batch';
import { testChain } from './test-chain';

const ACCOUNT = 'acct-store';

/** Holds here are job holds, named by their tool. */
function chain() {
  const c = testChain(ACCOUNT);
  return {
    add: (draft: EntryDraft) => c.add(draft),
    hold: c.job,
    capture: c.capture,
    checkpoint: c.checkpoint,
  };
}

describe('storeBatch', () => {
  it('names the tool of a capture whose hold was stored in an earlier batch', async () => {
    const c = chain();
    const first = [c.add(grant(bucket(100))), c.hold('hold-a', 'upscale', 2)];
    const cp1 = c.checkpoint();
    const second = [
      c.capture('hold-a', 2),
      c.hold('hold-b', 'generate', 6),
      c.capture('hold-b', 6),
    ];
    const cp2 = c.checkpoint();

    // Only the hold from the earlier batch needs a lookup in the store.
    expect(referencedHolds(second)).toEqual(['hold-a']);

    const db = openDb('test-store-batch-holds');
    await storeBatch(db, ACCOUNT, first, cp1, testServerKeys);
    const head = await storeBatch(db, ACCOUNT, second, cp2, testServerKeys);
    expect(head).toEqual({ seq: 5, hash: cp2.checkpoint.head });
    const rows = await readRows(db, 1, 5);
    expect(rows.map((r) => [r.seq, r.type, r.tool, r.kind, r.delta])).toEqual([
      [1, 'grant', '', 'image', 100],
      [2, 'hold', 'upscale', 'image', 0],
      [3, 'capture', 'upscale', 'image', -2],
      [4, 'hold', 'generate', 'image', 0],
      [5, 'capture', 'generate', 'image', -6],
    ]);
    expect(rows.map((r) => r.body)).toEqual([...first, ...second].map((e) => e.body));
    expect((await db.cursor.get('head'))?.seq).toBe(5);
    db.close();
  });

  it('stores nothing, cursor included, when a batch does not continue the stored chain', async () => {
    const c = chain();
    const first = [c.add(grant(bucket(100)))];
    const cp1 = c.checkpoint();
    c.add(grant(bucket(5))); // never stored: the next batch skips it
    const third = [c.add(grant(bucket(7)))];
    const cp3 = c.checkpoint();

    const db = openDb('test-store-batch-gap');
    await storeBatch(db, ACCOUNT, first, cp1, testServerKeys);
    await expect(storeBatch(db, ACCOUNT, third, cp3, testServerKeys)).rejects.toThrow(
      /do not reach 2/,
    );
    expect(await countRows(db)).toBe(1);
    expect((await db.cursor.get('head'))?.seq).toBe(1);
    db.close();
  });

  it('moves a version 1 cache (one record per entry) into pages, re-deriving its rows', async () => {
    const c = chain();
    const entries = [
      c.add(grant(bucket(100))),
      c.hold('hold-old', 'filter', 3),
      c.capture('hold-old', 3),
    ];
    for (let i = 0; i < 150; i++) entries.push(c.add(grant(bucket(1))));
    const cp = c.checkpoint();
    // Version 1 stored one record per row, and left captures without their hold's kind.
    const v1Rows = toRows(entries, new Map()).map((r) =>
      r.type === 'capture' ? { ...r, kind: '' } : r,
    );
    const name = 'test-store-batch-upgrade';
    const v1 = new Dexie(name);
    v1.version(1).stores(SCHEMA_V1);
    await v1.table('entries').bulkPut(v1Rows);
    await v1.table('cursor').put({
      id: 'head',
      accountId: ACCOUNT,
      seq: 153,
      hash: cp.checkpoint.head,
      checkpoint: cp,
      keys: testServerKeys,
    });
    v1.close();

    const db = openDb(name);
    await db.open();
    expect(db.tables.map((t) => t.name)).not.toContain('entries');
    expect(await db.pages.count()).toBe(2);
    const rows = await readRows(db, 1, 153);
    expect(rows).toEqual(toRows(entries, new Map()));
    expect(rows[2]).toMatchObject({ type: 'capture', tool: 'filter', kind: 'image', delta: -3 });
    expect((await db.cursor.get('head'))?.seq).toBe(153);
    // The upgraded cache takes the next batch like any other.
    const next = [c.add(grant(bucket(2)))];
    await storeBatch(db, ACCOUNT, next, c.checkpoint(), testServerKeys);
    expect(await countRows(db)).toBe(154);
    db.close();
  });
});
