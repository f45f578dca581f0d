import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { WireEntry } from '../../../shared/ledger/entry';
import { at, bucket, grant, testServerKeys } from '../../../shared/testing/ledger-fixture';
import { allocate } from '../../../shared/wallet/allocate';
import { planRefund } from '../../../shared/wallet/plan';
import { humanId, type Activity } from './activities';
import { readActivities } from './activity-pages';
import { openDb } from './db';
import { storeBatch } from './store-batch';
import { testChain } from './test-chain';

const ACCOUNT = 'acct-activities';
let dbs = 0;

function chain() {
  const c = testChain(ACCOUNT);
  const { writer, add } = c;
  const release = (holdId: string, amount: number) =>
    add({ type: 'release', operationId: `op-release-${holdId}`, holdId, amount, reason: 'failed' });
  const refund = (holdId: string, itemId: string, amount: number) => {
    const payment = writer.fold.payment(holdId);
    if (!payment) throw new Error(`no payment ${holdId}`);
    const plan = planRefund(payment, () => true, amount, {
      bucketId: `rb-${itemId}`,
      costBasisCents: 0,
      effectiveAt: at(c.now()),
      expiresAt: null,
      priority: 100,
    });
    return add({
      type: 'refund',
      operationId: `op-refund-${itemId}`,
      itemId,
      paidBy: holdId,
      kind: 'image',
      amount,
      splits: plan.splits,
      newBucket: plan.newBucket,
      reason: 'disliked image',
    });
  };
  return { ...c, release, refund };
}

async function stored(
  batches: Array<{ entries: WireEntry[]; cp: ReturnType<ReturnType<typeof chain>['checkpoint']> }>,
  setup?: (db: ReturnType<typeof openDb>) => Promise<void>,
): Promise<Activity[]> {
  const db = openDb(`test-activities-${++dbs}`);
  await setup?.(db);
  for (const b of batches) await storeBatch(db, ACCOUNT, b.entries, b.cp, testServerKeys);
  const count = (await db.cursor.get('head'))?.activities?.count ?? 0;
  const list = await readActivities(db, 0, count - 1);
  db.close();
  return list;
}

const brief = (a: Activity) => [a.kind, a.title, a.credits, a.balanceAfter, a.status, a.seqs];

describe('History activities, built when entries are stored', () => {
  it('groups a run’s hold and capture into one activity, and a failed run’s release into another', async () => {
    const c = chain();
    const entries = [
      c.add(grant(bucket(100, { source: 'signup' }))),
      c.job('h1', 'generate', 6),
      c.capture('h1', 6),
      c.job('h2', 'upscale', 4),
      c.release('h2', 4),
    ];
    const list = await stored([{ entries, cp: c.checkpoint() }]);
    expect(list.map(brief)).toEqual([
      ['free', 'Welcome credits', 100, 100, 'credited', [1]],
      ['generate', 'Image generation', -6, 94, 'charged', [2, 3]],
      ['upscale', 'Upscale', 0, 94, 'released', [4, 5]],
    ]);
    expect(list[1]?.detail).toBe('Image generation · 6 credits charged');
    expect(list[1]?.ref).toBe('job-h1');
    expect(list[2]?.detail).toBe('Upscale · failed, not charged');
  });

  it('shows a hold as pending, then updates that same activity when a later batch captures it', async () => {
    const c = chain();
    const first = [c.add(grant(bucket(50, { source: 'daily' }))), c.job('h1', 'cutout', 3)];
    const cp1 = c.checkpoint();
    const pending = await stored([{ entries: first, cp: cp1 }]);
    expect(pending.map(brief)[1]).toEqual(['cutout', 'Background removal', -3, 50, 'pending', [2]]);

    const second = [c.capture('h1', 2), c.add(grant(bucket(5, { source: 'promo' })))];
    const list = await stored([
      { entries: first, cp: cp1 },
      { entries: second, cp: c.checkpoint() },
    ]);
    expect(list.map(brief)).toEqual([
      ['free', 'Daily free credits', 50, 50, 'credited', [1]],
      ['cutout', 'Background removal', -2, 48, 'charged', [2, 3]],
      ['promo', 'Promotional credits', 5, 53, 'credited', [4]],
    ]);
  });

  it('makes a refund its own activity naming what it refunds', async () => {
    const c = chain();
    const entries = [
      c.add(grant(bucket(40))),
      c.job('h1', 'generate', 12),
      c.capture('h1', 12),
      c.refund('h1', 'item-1', 4),
    ];
    const list = await stored([{ entries, cp: c.checkpoint() }]);
    expect(list.map(brief).slice(2)).toEqual([
      ['refund', 'Refund: Image generation', 4, 32, 'refunded', [4]],
    ]);
    expect(list[2]?.ref).toBe('item-1');
  });

  it('names designs and purchases from the local catalog, with the price paid; a plan bought again is a renewal', async () => {
    const c = chain();
    const purchase = (n: number, itemId: string, source: 'pack' | 'plan') =>
      c.add({
        type: 'purchase',
        operationId: `p-${n}`,
        purchaseId: `p-${n}`,
        provider: 'sandbox',
        paymentRef: `ref-${n}`,
        itemId,
        priceCents: 999,
        currency: 'usd',
        buckets: [bucket(1000, { source, costBasisCents: 999 })],
      });
    const entries = [
      purchase(1, 'pack-1000', 'pack'),
      purchase(2, 'plan-pro', 'plan'),
      purchase(3, 'plan-pro', 'plan'),
      c.add({
        type: 'spend',
        operationId: 'op-design',
        kind: 'image',
        amount: 149,
        splits: allocate(c.writer.view(at(c.now())).buckets, 'image', 149),
        purpose: { kind: 'design', designId: 'design-confetti' },
      }),
      c.add({
        type: 'spend',
        operationId: 'op-design-2',
        kind: 'image',
        amount: 10,
        splits: allocate(c.writer.view(at(c.now())).buckets, 'image', 10),
        purpose: { kind: 'design', designId: 'design-old-paper' },
      }),
    ];
    const list = await stored([{ entries, cp: c.checkpoint() }], async (db) => {
      await db.designs.put({
        designId: 'design-confetti',
        title: 'Confetti border',
        description: '',
        priceCents: 149,
        credits: 149,
        previewSvg: '',
        owned: true,
      });
      await db.catalog.put({
        id: 'store',
        catalog: {
          packs: [
            {
              itemId: 'pack-1000',
              title: 'Starter pack',
              credits: 1000,
              bonusCredits: 0,
              priceCents: 999,
              currency: 'usd',
              expiresInDays: 365,
            },
          ],
          plans: [],
          provider: 'sandbox',
        } as never,
      });
    });
    expect(list.map((a) => [a.kind, a.title, a.detail, a.credits, a.balanceAfter])).toEqual([
      ['purchase', 'Starter pack', 'Credit pack · paid $9.99', 1000, 1000],
      ['purchase', 'Plan pro', 'Plan · paid $9.99', 1000, 2000],
      ['renewal', 'Plan pro renewed', 'Plan · paid $9.99', 1000, 3000],
      ['design', 'Confetti border', 'Design redeemed', -149, 2851],
      // Neither the entry nor the catalog knows this one: its id, made readable.
      ['design', 'Old paper', 'Design redeemed', -10, 2841],
    ]);
    expect(list[3]?.search).toContain('confetti border');
    expect(humanId('design-confetti')).toBe('Confetti');
  });

  it('groups buckets expiring at one moment into one activity, and counts its credits', async () => {
    const c = chain();
    const end = at(60);
    const b1 = bucket(30, { source: 'daily', expiresAt: end });
    const b2 = bucket(20, { source: 'bonus', expiresAt: end });
    const entries = [
      c.add(grant(b1)),
      c.add(grant(b2)),
      c.add(
        { type: 'expire', operationId: 'e1', bucketId: b1.bucketId, kind: 'image', amount: 30 },
        end,
      ),
      c.add(
        { type: 'expire', operationId: 'e2', bucketId: b2.bucketId, kind: 'image', amount: 20 },
        end,
      ),
    ];
    const list = await stored([{ entries, cp: c.checkpoint() }]);
    expect(list.map(brief)).toEqual([
      ['free', 'Daily free credits', 30, 30, 'credited', [1]],
      ['free', 'Bonus credits', 20, 50, 'credited', [2]],
      ['expiry', 'Credits expired', -50, 0, 'expired', [3, 4]],
    ]);
    expect(list[2]?.detail).toBe('50 credits unused');
  });

  it('titles runs, designs and purchases with the facts their signed entries carry', async () => {
    const c = chain();
    const entries = [
      c.add(grant(bucket(500, { source: 'signup' }))),
      c.hold(
        'h1',
        { kind: 'job', jobId: 'job-1', tool: 'generate', summary: 'a calm harbour at dawn' },
        6,
      ),
      c.capture('h1', 6),
      c.refund('h1', 'item-1', 4),
      c.add({
        type: 'spend',
        operationId: 'op-design',
        kind: 'image',
        amount: 149,
        splits: allocate(c.writer.view(at(c.now())).buckets, 'image', 149),
        purpose: { kind: 'design', designId: 'design-confetti', title: 'Confetti border' },
      }),
      c.add({
        type: 'purchase',
        operationId: 'p-1',
        purchaseId: 'p-1',
        provider: 'sandbox',
        paymentRef: 'ref-1',
        itemId: 'pack-1000',
        priceCents: 999,
        currency: 'usd',
        itemTitle: 'Starter pack',
        itemType: 'pack',
        buckets: [bucket(1000, { source: 'pack', costBasisCents: 999 })],
      }),
    ];
    const list = await stored([{ entries, cp: c.checkpoint() }]);
    expect(list.map((a) => [a.kind, a.title, a.credits, a.balanceAfter])).toEqual([
      ['free', 'Welcome credits', 500, 500],
      ['generate', 'a calm harbour at dawn', -6, 494],
      ['refund', 'Refund: a calm harbour at dawn', 4, 498],
      ['design', 'Confetti border', -149, 349],
      ['purchase', 'Starter pack', 1000, 1349],
    ]);
    expect(list[1]?.search).toContain('harbour');
  });
});
