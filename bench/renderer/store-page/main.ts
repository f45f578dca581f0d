import { openDb } from '../../../renderer/src/db/db';
import { countRows } from '../../../renderer/src/db/entry-pages';
import { storeBatch } from '../../../renderer/src/db/store-batch';
import type { StoreInput, StorePageApi, StoreResult } from './api';

// Bench-only page: the renderer's own Dexie schema and store path (storeBatch), nothing else.
let input: StoreInput | null = null;

const api: StorePageApi = {
  async load(url) {
    const res = await fetch(url);
    input = (await res.json()) as StoreInput;
    return input.batches.reduce((n, b) => n + b.entries.length, 0);
  },
  async run(): Promise<StoreResult> {
    if (!input) throw new Error('load() first');
    const db = openDb('easel');
    await db.open();
    const longTasks: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    observer.observe({ type: 'longtask' });
    const perBatch: number[] = [];
    let entries = 0;
    const started = performance.now();
    for (const b of input.batches) {
      const t = performance.now();
      await storeBatch(db, input.accountId, b.entries, b.checkpoint, input.keys);
      perBatch.push(performance.now() - t);
      entries += b.entries.length;
    }
    const ms = performance.now() - started;
    await new Promise((r) => setTimeout(r, 100));
    for (const e of observer.takeRecords()) longTasks.push(e.duration);
    observer.disconnect();
    const stored = await countRows(db);
    const cursor = await db.cursor.get('head');
    db.close();
    perBatch.sort((a, b) => a - b);
    return {
      ms,
      entries,
      stored,
      cursorSeq: cursor?.seq ?? 0,
      slowestBatchMs: perBatch.at(-1) ?? 0,
      medianBatchMs: perBatch[Math.floor(perBatch.length / 2)] ?? 0,
      longTasks,
    };
  },
};

(window as unknown as { easelBench: StorePageApi }).easelBench = api;
document.title = 'store page ready';
