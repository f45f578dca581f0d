import { describe, expect, it } from 'vitest';
import type { EntryDraft } from '../ledger/entry';
import { ChainWriter } from '../ledger/writer';
import { at, bucket, grant, uid } from '../testing/ledger-fixture';
import { LedgerInvariantError, type WalletFold } from './fold';

/** Everything a fold shows, as plain data, to compare before and after a refused entry. */
function snapshot(fold: WalletFold, now: string) {
  const v = fold.view(now);
  return JSON.stringify({
    seq: fold.lastSeq,
    at: fold.lastAt,
    balances: v.balances,
    buckets: v.buckets,
    holds: [...v.openHolds],
    reserves: [...v.openReserves],
  });
}

/** docs/architecture.md §2: an entry the fold refuses changes nothing. */
describe('a refused entry changes nothing', () => {
  it('grant 10, spend 5, a refund whose new bucket ends before it starts: the balance stays 5', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(10, { bucketId: 'x' })), at(1));
    const spendOp = uid('op');
    w.append(
      {
        type: 'spend',
        operationId: spendOp,
        kind: 'image',
        amount: 5,
        splits: [{ bucketId: 'x', amount: 5 }],
        purpose: { kind: 'design', designId: 'd-1' },
      },
      at(2),
    );
    const before = snapshot(w.fold, at(3));
    const refund = (newBucketExpires: string): EntryDraft<'refund'> => ({
      type: 'refund',
      operationId: uid('op'),
      itemId: 'item-1',
      paidBy: spendOp,
      kind: 'image',
      amount: 5,
      splits: [{ bucketId: 'x', amount: 3 }],
      newBucket: bucket(2, {
        bucketId: 'r-1',
        source: 'refund',
        effectiveAt: at(3),
        expiresAt: newBucketExpires,
      }),
      reason: 'disliked',
    });
    expect(() => w.append(refund(at(3)), at(3))).toThrow(LedgerInvariantError);
    expect(w.fold.view(at(3)).balances.image?.balance).toBe(5);
    expect(w.fold.payment(spendOp)?.refundedTotal).toBe(0);
    expect(w.fold.isRefunded('item-1')).toBe(false);
    expect(snapshot(w.fold, at(3))).toBe(before);
    // The same refund done right is applied in full, once.
    w.append(refund(at(60)), at(3));
    expect(w.fold.view(at(3)).balances.image?.balance).toBe(10);
    expect(w.fold.payment(spendOp)?.refundedTotal).toBe(5);
  });

  it('a purchase whose second bucket is refused adds neither', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(1, { bucketId: 'seed' })), at(1));
    const before = snapshot(w.fold, at(2));
    const purchase = (bonusExpires: string): EntryDraft<'purchase'> => ({
      type: 'purchase',
      operationId: 'sandbox:chk_1',
      purchaseId: 'sandbox:chk_1',
      provider: 'sandbox',
      paymentRef: 'sbx_pay_1',
      itemId: 'pack-100',
      priceCents: 990,
      currency: 'usd',
      buckets: [
        bucket(100, { bucketId: 'p-pack', source: 'pack', effectiveAt: at(2) }),
        bucket(10, {
          bucketId: 'p-bonus',
          source: 'bonus',
          effectiveAt: at(2),
          expiresAt: bonusExpires,
        }),
      ],
    });
    expect(() => w.append(purchase(at(1)), at(2))).toThrow(/expires before it starts/);
    expect(snapshot(w.fold, at(2))).toBe(before);
    expect(w.fold.purchaseBuckets('sandbox:chk_1')).toBeUndefined();
    // Not "already exists" now: nothing of the refused entry stayed behind.
    w.append(purchase(at(600)), at(2));
    expect(w.fold.view(at(2)).balances.image?.balance).toBe(111);
  });

  it('a refused first entry leaves the fold unowned', () => {
    const w = new ChainWriter('acct');
    const before = snapshot(w.fold, at(1));
    // A bucket that ends before it starts: refused, and the fold is still nobody's.
    expect(() =>
      w.append(grant(bucket(5, { effectiveAt: at(1), expiresAt: at(1) })), at(1)),
    ).toThrow(LedgerInvariantError);
    expect(snapshot(w.fold, at(1))).toBe(before);
    expect(w.fold.view(at(1)).accountId).toBeNull();
  });
});

describe('partial reversals (docs/architecture.md §7)', () => {
  const purchase: EntryDraft<'purchase'> = {
    type: 'purchase',
    operationId: 'stripe:cs_1',
    purchaseId: 'stripe:cs_1',
    provider: 'stripe',
    paymentRef: 'pi_1',
    itemId: 'pack-100',
    priceCents: 990,
    currency: 'usd',
    buckets: [bucket(100, { bucketId: 'pk', source: 'pack' })],
  };
  const reversal = (amount: number, taken: number, shortfall = 0): EntryDraft<'reversal'> => ({
    type: 'reversal',
    operationId: uid('stripe:refund'),
    purchaseId: 'stripe:cs_1',
    reason: 'refunded',
    kind: 'image',
    amount,
    splits: taken > 0 ? [{ bucketId: 'pk', amount: taken }] : [],
    shortfall,
    forfeited: 0,
  });

  it('take back a purchase in parts, never more than it granted in all', () => {
    const w = new ChainWriter('acct');
    w.append(purchase, at(1));
    w.append(reversal(30, 30), at(2));
    expect(w.fold.isReversed('stripe:cs_1', 'image')).toBe(false);
    expect(w.fold.reversedSoFar('stripe:cs_1', 'image')).toEqual({ amount: 30, forfeited: 0 });
    const before = snapshot(w.fold, at(3));
    expect(() => w.append(reversal(71, 70, 1), at(3))).toThrow(/30 is reversed already/);
    expect(snapshot(w.fold, at(3))).toBe(before);
    w.append(reversal(70, 70), at(3));
    expect(w.fold.isReversed('stripe:cs_1', 'image')).toBe(true);
    expect(w.fold.view(at(3)).balances.image?.balance).toBe(0);
    expect(() => w.append(reversal(1, 0, 1), at(4))).toThrow(/reversed twice/);
  });
});
