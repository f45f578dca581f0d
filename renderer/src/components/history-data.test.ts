import { describe, expect, it } from 'vitest';
import type { EntryDraft, WireEntry } from '../../../shared/ledger/entry';
import { ChainWriter } from '../../../shared/ledger/writer';
import { at, bucket, grant } from '../../../shared/testing/ledger-fixture';
import { allocate } from '../../../shared/wallet/allocate';
import { planCapture, planRefund } from '../../../shared/wallet/plan';
import { ActivityBuilder, initialActivityState, type Activity } from '../db/activities';
import { type HoldInfo, toRows } from '../db/rows';
import {
  ActivitySearch,
  applyFilter,
  emptyFilter,
  historyStatus,
  imagesByRef,
  type HistoryFilter,
} from './history-data';

/** Activities built from a signed chain as the store builds them (docs/architecture.md §9). */
function activities(): Activity[] {
  const writer = new ChainWriter('acct-search');
  let minute = 0;
  const entries: WireEntry[] = [];
  const add = (draft: EntryDraft): void => {
    const e = writer.append(draft, at(++minute));
    entries.push({ seq: e.seq, hash: e.hash, body: e.body });
  };
  const run = (holdId: string, purpose: EntryDraft<'hold'>['purpose'], charge: boolean): void => {
    add({
      type: 'hold',
      operationId: `op-${holdId}`,
      holdId,
      kind: 'image',
      amount: 6,
      splits: allocate(writer.view(at(minute)).buckets, 'image', 6),
      expiresAt: at(minute + 15),
      purpose,
    });
    const held = writer.fold.hold(holdId)!;
    add(
      charge
        ? {
            type: 'capture',
            operationId: `op-c-${holdId}`,
            holdId,
            amount: 6,
            splits: planCapture(held, 6),
          }
        : { type: 'release', operationId: `op-r-${holdId}`, holdId, amount: 6, reason: 'failed' },
    );
  };
  add(grant(bucket(100, { source: 'promo' })));
  add({
    type: 'purchase',
    operationId: 'op-buy',
    purchaseId: 'pur-1',
    provider: 'sandbox',
    paymentRef: 'cs_1',
    itemId: 'pack-1000',
    itemTitle: 'Starter Pack',
    itemType: 'pack',
    priceCents: 999,
    currency: 'usd',
    buckets: [bucket(1000, { source: 'pack' })],
  });
  run(
    'h1',
    { kind: 'job', jobId: 'job-1', tool: 'generate', summary: 'A Lighthouse at dusk' },
    true,
  );
  run(
    'h2',
    { kind: 'job', jobId: 'job-2', tool: 'generate', summary: 'Red fox in the snow' },
    false,
  );
  run('h3', { kind: 'design', designId: 'design-confetti', title: 'Confetti Border' }, true);
  run('h4', { kind: 'job', jobId: 'job-4', tool: 'generate', summary: 'Two paper boats' }, true);
  // The second image of job-4 disliked: its refund names that item.
  const payment = writer.fold.payment('h4')!;
  const plan = planRefund(payment, () => true, 6, {
    bucketId: 'rb-job-4:1',
    costBasisCents: 0,
    effectiveAt: at(minute),
    expiresAt: null,
    priority: 100,
  });
  add({
    type: 'refund',
    operationId: 'op-refund-job-4:1',
    itemId: 'job-4:1',
    paidBy: 'h4',
    kind: 'image',
    amount: 6,
    splits: plan.splits,
    newBucket: plan.newBucket,
    reason: 'disliked image',
  });
  // One map of holds for the rows and the builder, as the store has (store-batch.ts).
  const holds = new Map<string, HoldInfo>();
  const builder = new ActivityBuilder(initialActivityState(), { open: new Map(), holds });
  toRows(entries, holds, (row, body) => builder.add(row, body));
  return builder.changed;
}

const search = (q: string): HistoryFilter => ({ ...emptyFilter, search: q });
const titles = (list: readonly Activity[]): string[] => list.map((a) => a.title);

describe('History search', () => {
  const all = activities();

  it('finds prompts, design titles and pack names, whatever the case', () => {
    expect(all).toHaveLength(7);
    expect(titles(applyFilter(all, search('lighthouse')))).toEqual(['A Lighthouse at dusk']);
    expect(titles(applyFilter(all, search('  FOX IN  ')))).toEqual(['Red fox in the snow']);
    expect(titles(applyFilter(all, search('confetti border')))).toEqual(['Confetti Border']);
    expect(titles(applyFilter(all, search('starter pack')))).toEqual(['Starter Pack']);
  });

  it('combines the search with the activity and status filters', () => {
    expect(titles(applyFilter(all, { ...search('a'), kind: 'generate' }))).toEqual([
      'A Lighthouse at dusk',
      'Red fox in the snow',
      'Two paper boats',
    ]);
    expect(
      titles(applyFilter(all, { ...search('a'), kind: 'generate', status: 'released' })),
    ).toEqual(['Red fox in the snow']);
    expect(applyFilter(all, emptyFilter)).toHaveLength(all.length);
  });

  it('the search index answers as the filter does, key by key, narrowing and widening', () => {
    const typed = ['f', 'fo', 'fox', 'fox ', 'fo', '', 'CONF', 'confetti', 'a', 'zebra', 'a'];
    for (const status of ['', 'released'] as const) {
      const index = new ActivitySearch(all);
      for (const q of typed) {
        const f = { ...search(q), status };
        expect(titles(index.filter(f)), `${q} ${status}`).toEqual(titles(applyFilter(all, f)));
      }
    }
  });

  it('pictures a run with its first image and a refund with the very image disliked', () => {
    const gallery = [
      { itemId: 'job-1:0', jobId: 'job-1', sha256: 'sha-lighthouse' },
      { itemId: 'job-4:0', jobId: 'job-4', sha256: 'sha-boat-0' },
      { itemId: 'job-4:1', jobId: 'job-4', sha256: 'sha-boat-1' },
    ];
    const images = imagesByRef(gallery);
    const pictureOf = (title: string): string | undefined =>
      images.get(all.find((a) => a.title === title)?.ref ?? '');
    expect(pictureOf('A Lighthouse at dusk')).toBe('sha-lighthouse');
    expect(pictureOf('Two paper boats')).toBe('sha-boat-0');
    expect(pictureOf('Refund: Two paper boats')).toBe('sha-boat-1');
    // A run whose images this device does not have shows its icon.
    expect(pictureOf('Red fox in the snow')).toBeUndefined();
  });

  it('says so when nothing matches, and counts in words', () => {
    const none = applyFilter(all, search('zebra'));
    expect(none).toEqual([]);
    expect(historyStatus({ filter: search(' Zebra '), rows: none, total: 0 })).toBe(
      'No activities match “Zebra”.',
    );
    expect(historyStatus({ filter: { ...emptyFilter, kind: 'refund' }, rows: [], total: 0 })).toBe(
      'No activities match these filters.',
    );
    expect(historyStatus({ filter: search('fox'), rows: null, total: 0 })).toBe('Searching…');
    const one = applyFilter(all, search('fox'));
    expect(historyStatus({ filter: search('fox'), rows: one, total: one.length })).toBe(
      '1 activity',
    );
    expect(historyStatus({ filter: emptyFilter, rows: null, total: 2345 })).toBe(
      '2,345 activities',
    );
    expect(historyStatus({ filter: emptyFilter, rows: null, total: 0 })).toBe('No activities yet.');
  });
});
