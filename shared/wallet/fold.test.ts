import { describe, expect, it } from 'vitest';
import type { EntryDraft } from '../ledger/entry';
import { ChainWriter } from '../ledger/writer';
import { at, bucket, days, grant, uid } from '../testing/ledger-fixture';
import { InsufficientCreditsError, allocate } from './allocate';
import { LedgerInvariantError } from './fold';
import {
  planCapture,
  planExpiries,
  planHoldExpiries,
  planRefund,
  planReversal,
  planSettle,
} from './plan';

const job = { kind: 'job' as const, jobId: 'job-1', tool: 'generate' };

function wallet() {
  const w = new ChainWriter('acct');
  let minute = 0;
  const add = (draft: EntryDraft, when = at(++minute)) => w.append(draft, when);
  const spendDraft = (amount: number, now = at(minute + 1)): EntryDraft<'spend'> => ({
    type: 'spend',
    operationId: uid('op'),
    kind: 'image',
    amount,
    splits: allocate(w.view(now).buckets, 'image', amount),
    purpose: { kind: 'design', designId: 'd-1' },
  });
  const holdDraft = (amount: number, now = at(minute + 1)): EntryDraft<'hold'> => ({
    type: 'hold',
    operationId: uid('op'),
    holdId: uid('hold'),
    kind: 'image',
    amount,
    splits: allocate(w.view(now).buckets, 'image', amount),
    expiresAt: at(minute + 16),
    purpose: job,
  });
  return { w, add, spendDraft, holdDraft, now: () => at(minute) };
}

describe('spending order', () => {
  it('spends lower priority, then soonest expiry, then free before paid, then oldest', () => {
    const { w, add, now } = wallet();
    add(grant(bucket(10, { bucketId: 'paid-late', costBasisCents: 99, expiresAt: at(days(30)) })));
    add(grant(bucket(10, { bucketId: 'free-late', expiresAt: at(days(30)) })));
    add(grant(bucket(10, { bucketId: 'soon', costBasisCents: 99, expiresAt: at(days(1)) })));
    add(grant(bucket(10, { bucketId: 'never' })));
    add(grant(bucket(10, { bucketId: 'daily', priority: 0, expiresAt: at(days(2)) })));
    const order = allocate(w.view(now()).buckets, 'image', 50).map((s) => s.bucketId);
    expect(order).toEqual(['daily', 'soon', 'free-late', 'paid-late', 'never']);
    expect(allocate(w.view(now()).buckets, 'image', 15)).toEqual([
      { bucketId: 'daily', amount: 10 },
      { bucketId: 'soon', amount: 5 },
    ]);
  });

  it('refuses to overspend and never counts another kind or an expired bucket', () => {
    const { w, add } = wallet();
    add(grant(bucket(10, { expiresAt: at(60) })));
    add(grant(bucket(100, { kind: 'tune' })));
    expect(() => allocate(w.view(at(59)).buckets, 'image', 11)).toThrow(InsufficientCreditsError);
    expect(() => allocate(w.view(at(60)).buckets, 'image', 1)).toThrow(/0 available/);
    expect(w.view(at(59)).balances).toMatchObject({
      image: { balance: 10, available: 10 },
      tune: { balance: 100 },
    });
    expect(w.view(at(60)).balances.image?.balance).toBe(0);
  });
});

describe('holds', () => {
  it('hold → capture less than held returns the rest', () => {
    const { w, add, holdDraft, now } = wallet();
    add(grant(bucket(100)));
    const hold = add(holdDraft(24));
    expect(w.view(now()).balances.image).toMatchObject({ balance: 100, held: 24, available: 76 });
    const holdId = hold.data.type === 'hold' ? hold.data.holdId : '';
    const view = w.fold.hold(holdId)!;
    add({
      type: 'capture',
      operationId: uid('op'),
      holdId,
      amount: 18,
      splits: planCapture(view, 18),
    });
    expect(w.view(now()).balances.image).toMatchObject({ balance: 82, held: 0, available: 82 });
  });

  it('resolves each hold exactly once', () => {
    const { w, add, holdDraft, now } = wallet();
    add(grant(bucket(100)));
    const h = add(holdDraft(6)).data;
    if (h.type !== 'hold') throw new Error();
    add({ type: 'release', operationId: uid('op'), holdId: h.holdId, amount: 6, reason: 'failed' });
    expect(() =>
      add({
        type: 'release',
        operationId: uid('op'),
        holdId: h.holdId,
        amount: 6,
        reason: 'failed',
      }),
    ).toThrow(/already released/);
    expect(() =>
      add({
        type: 'capture',
        operationId: uid('op'),
        holdId: h.holdId,
        amount: 6,
        splits: h.splits,
      }),
    ).toThrow(LedgerInvariantError);
    expect(w.view(now()).balances.image?.available).toBe(100);
  });

  it('refuses a capture above the hold and splits outside it; lists expired holds', () => {
    const { w, add, holdDraft } = wallet();
    add(grant(bucket(100, { bucketId: 'a' })));
    const h = add(holdDraft(6)).data;
    if (h.type !== 'hold') throw new Error();
    expect(() =>
      add({
        type: 'capture',
        operationId: uid('op'),
        holdId: h.holdId,
        amount: 7,
        splits: [{ bucketId: 'a', amount: 7 }],
      }),
    ).toThrow(/holds 6/);
    expect(planHoldExpiries(w.view(at(100)), at(100)).map((x) => x.holdId)).toEqual([h.holdId]);
    expect(planHoldExpiries(w.view(at(5)), at(5))).toEqual([]);
  });

  it('keeps held credits owned when their bucket expires, and expires only the unheld rest', () => {
    const { w, add, holdDraft } = wallet();
    add(grant(bucket(10, { bucketId: 'short', expiresAt: at(5) })));
    const h = add(holdDraft(6)).data;
    if (h.type !== 'hold') throw new Error();
    expect(w.view(at(6)).balances.image).toMatchObject({ balance: 6, held: 6, available: 0 });
    expect(planExpiries(w.view(at(6)), at(6))).toEqual([
      { bucketId: 'short', kind: 'image', amount: 4 },
    ]);
    add(
      { type: 'expire', operationId: uid('op'), bucketId: 'short', kind: 'image', amount: 4 },
      at(6),
    );
    add(
      { type: 'capture', operationId: uid('op'), holdId: h.holdId, amount: 6, splits: h.splits },
      at(7),
    );
    expect(w.view(at(8)).balances.image).toMatchObject({ balance: 0, held: 0 });
    expect(() =>
      add(
        { type: 'expire', operationId: uid('op'), bucketId: 'short', kind: 'image', amount: 1 },
        at(9),
      ),
    ).toThrow(/unheld/);
  });
});

describe('refunds', () => {
  it('go back to the buckets that paid, once per item, newest payer first', () => {
    const { w, add, holdDraft, now } = wallet();
    add(grant(bucket(4, { bucketId: 'daily', priority: 0, expiresAt: at(days(1)) })));
    add(grant(bucket(20, { bucketId: 'pack', costBasisCents: 990 })));
    const h = add(holdDraft(12)).data;
    if (h.type !== 'hold') throw new Error();
    add({
      type: 'capture',
      operationId: uid('op'),
      holdId: h.holdId,
      amount: 12,
      splits: h.splits,
    });
    const plan = planRefund(w.fold.payment(h.holdId)!, (id) => w.fold.isBucketLive(id, now()), 4, {
      bucketId: 'r1',
      costBasisCents: 0,
      effectiveAt: now(),
      expiresAt: null,
      priority: 100,
    });
    expect(plan).toEqual({ splits: [{ bucketId: 'pack', amount: 4 }], newBucket: null });
    const refund = (itemId: string, p = plan): EntryDraft<'refund'> => ({
      type: 'refund',
      operationId: uid('op'),
      itemId,
      paidBy: h.holdId,
      kind: 'image',
      amount: 4,
      splits: p.splits,
      newBucket: p.newBucket,
      reason: 'disliked',
    });
    add(refund('img-1'));
    expect(() => add(refund('img-1'))).toThrow(/refunded twice/);
    expect(w.view(now()).balances.image?.balance).toBe(16);
  });

  it('land in a new refund bucket when the paying bucket has expired', () => {
    const { w, add, holdDraft } = wallet();
    add(grant(bucket(6, { bucketId: 'daily', expiresAt: at(30) })));
    const h = add(holdDraft(6)).data;
    if (h.type !== 'hold') throw new Error();
    add({ type: 'capture', operationId: uid('op'), holdId: h.holdId, amount: 6, splits: h.splits });
    const later = at(40);
    const plan = planRefund(w.fold.payment(h.holdId)!, (id) => w.fold.isBucketLive(id, later), 4, {
      bucketId: 'refund-1',
      costBasisCents: 0,
      effectiveAt: later,
      expiresAt: null,
      priority: 100,
    });
    expect(plan.splits).toEqual([]);
    expect(plan.newBucket).toMatchObject({ bucketId: 'refund-1', amount: 4, source: 'refund' });
    add(
      {
        type: 'refund',
        operationId: uid('op'),
        itemId: 'img',
        paidBy: h.holdId,
        kind: 'image',
        amount: 4,
        splits: [],
        newBucket: plan.newBucket,
        reason: 'disliked',
      },
      later,
    );
    expect(w.view(later).balances.image?.available).toBe(4);
  });

  it('never refund more than was paid', () => {
    const { add, spendDraft } = wallet();
    add(grant(bucket(10, { bucketId: 'x' })));
    const s = add(spendDraft(3)).data;
    expect(() =>
      add({
        type: 'refund',
        operationId: uid('op'),
        itemId: 'i',
        paidBy: s.operationId,
        kind: 'image',
        amount: 4,
        splits: [{ bucketId: 'x', amount: 4 }],
        newBucket: null,
        reason: 'r',
      }),
    ).toThrow(/paid 3/);
  });
});

describe('reversals', () => {
  it('take back what a purchase granted and may push the balance below zero', () => {
    const { w, add, spendDraft, now } = wallet();
    add({
      type: 'purchase',
      operationId: uid('op'),
      purchaseId: 'p1',
      provider: 'sandbox',
      paymentRef: 'cs_1',
      itemId: 'pack-100',
      priceCents: 990,
      currency: 'usd',
      buckets: [
        bucket(100, { bucketId: 'pk', source: 'pack', costBasisCents: 990 }),
        bucket(10, { bucketId: 'bn', source: 'bonus' }),
      ],
    });
    add(spendDraft(60));
    const [plan] = planReversal(w.fold.purchaseBuckets('p1')!);
    expect(plan).toMatchObject({ amount: 110, shortfall: 60 });
    add({
      type: 'reversal',
      operationId: uid('op'),
      purchaseId: 'p1',
      reason: 'disputed',
      ...plan!,
    });
    expect(w.view(now()).balances.image).toMatchObject({ balance: -60, available: -60, debt: 60 });
    expect(() =>
      add({
        type: 'reversal',
        operationId: uid('op'),
        purchaseId: 'p1',
        reason: 'disputed',
        ...plan!,
      }),
    ).toThrow(/twice/);
  });
});

describe('reversal after expiry', () => {
  it('forfeits credits that expired unused instead of turning them into debt', () => {
    const { w, add, spendDraft } = wallet();
    add({
      type: 'purchase',
      operationId: uid('op'),
      purchaseId: 'p2',
      provider: 'sandbox',
      paymentRef: 'cs_2',
      itemId: 'pack-100',
      priceCents: 990,
      currency: 'usd',
      buckets: [
        bucket(100, { bucketId: 'pk2', source: 'pack', costBasisCents: 990, expiresAt: at(60) }),
      ],
    });
    add(spendDraft(30));
    add(
      { type: 'expire', operationId: uid('op'), bucketId: 'pk2', kind: 'image', amount: 70 },
      at(61),
    );
    const [plan] = planReversal(w.fold.purchaseBuckets('p2')!);
    expect(plan).toMatchObject({ amount: 100, shortfall: 30, forfeited: 70, splits: [] });
    expect(() =>
      add(
        {
          type: 'reversal',
          operationId: uid('op'),
          purchaseId: 'p2',
          reason: 'refunded',
          ...plan!,
          forfeited: 71,
          shortfall: 29,
        },
        at(62),
      ),
    ).toThrow(/forfeits 71/);
    add(
      { type: 'reversal', operationId: uid('op'), purchaseId: 'p2', reason: 'refunded', ...plan! },
      at(62),
    );
    expect(w.view(at(63)).balances.image).toMatchObject({ balance: -30, debt: 30 });
  });
});

describe('offline allowances', () => {
  it('reserve → settle vouchers once → unreserve the rest', () => {
    const { w, add, now } = wallet();
    add(grant(bucket(300)));
    const splits = allocate(w.view(now()).buckets, 'image', 200);
    add({
      type: 'reserve',
      operationId: uid('op'),
      allowanceId: 'al-1',
      deviceId: 'dev-1',
      devicePublicKey: 'ab'.repeat(32),
      kind: 'image',
      amount: 200,
      splits,
      expiresAt: at(days(7)),
    });
    expect(w.view(now()).balances.image).toMatchObject({
      balance: 300,
      reserved: 200,
      available: 100,
    });
    const voucher = (counter: number, amount: number) => ({
      allowanceId: 'al-1',
      counter,
      amount,
      itemId: `d-${counter}`,
      purpose: { kind: 'design' as const, designId: `d-${counter}` },
      at: now(),
    });
    const r = w.fold.reserve('al-1')!;
    add({
      type: 'settle',
      operationId: uid('op'),
      allowanceId: 'al-1',
      vouchers: [voucher(1, 50), voucher(2, 30)],
      amount: 80,
      splits: planSettle(r, 80),
    });
    expect(() =>
      add({
        type: 'settle',
        operationId: uid('op'),
        allowanceId: 'al-1',
        vouchers: [voucher(2, 30)],
        amount: 30,
        splits: planSettle(w.fold.reserve('al-1')!, 30),
      }),
    ).toThrow(/settles twice/);
    expect(w.view(now()).balances.image).toMatchObject({
      balance: 220,
      reserved: 120,
      available: 100,
    });
    add({
      type: 'unreserve',
      operationId: uid('op'),
      allowanceId: 'al-1',
      amount: 120,
      reason: 'returned',
    });
    expect(w.view(now()).balances.image).toMatchObject({
      balance: 220,
      reserved: 0,
      available: 220,
    });
  });
});

describe('order and integrity checks', () => {
  it('refuses out-of-order seqs, foreign accounts, backwards time, unknown buckets and duplicate buckets', () => {
    const { w, add } = wallet();
    add(grant(bucket(10, { bucketId: 'dup' })));
    expect(() => add(grant(bucket(10, { bucketId: 'dup' })))).toThrow(/already exists/);
    expect(() => add(grant(bucket(1)), '2020-01-01T00:00:00.000Z')).toThrow(/backwards/);
    expect(() =>
      add({
        type: 'spend',
        operationId: uid('op'),
        kind: 'image',
        amount: 1,
        splits: [{ bucketId: 'nope', amount: 1 }],
        purpose: { kind: 'design', designId: 'x' },
      }),
    ).toThrow(/unknown bucket/);
    expect(w.current.seq).toBe(1); // nothing refused moved the head
  });
});
