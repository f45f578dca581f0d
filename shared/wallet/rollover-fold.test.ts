import { describe, expect, it } from 'vitest';
import type { EntryDraft, Split } from '../ledger/entry';
import { ChainWriter } from '../ledger/writer';
import { at, bucket, days, grant, uid } from '../testing/ledger-fixture';
import { LedgerInvariantError } from './fold';

/** docs/architecture.md §2, rollover: the fold checks every rollover a verifier reads. */
describe('rollover entries in the fold', () => {
  const setup = () => {
    const w = new ChainWriter('acct');
    w.append(
      grant(
        bucket(1000, {
          bucketId: 'month-1',
          source: 'plan',
          costBasisCents: 990,
          expiresAt: at(days(35)),
        }),
      ),
      at(1),
    );
    w.append(grant(bucket(50, { bucketId: 'promo-1', source: 'promo' })), at(2));
    return w;
  };
  const rollover = (
    o: Partial<EntryDraft<'rollover'>> & { splits: Split[]; ended: Split[] },
  ): EntryDraft<'rollover'> => {
    const amount = o.amount ?? o.splits.reduce((n, s) => n + s.amount, 0);
    return {
      type: 'rollover',
      operationId: uid('op'),
      planId: 'pro',
      purchaseId: 'stripe:in_2',
      kind: 'image',
      amount,
      cap: 500,
      bucket:
        amount > 0
          ? bucket(amount, {
              bucketId: 'roll-1',
              source: 'rollover',
              effectiveAt: at(days(30)),
              expiresAt: at(days(90)),
            })
          : null,
      ...o,
    };
  };

  it('moves what it names into the new bucket and ends the rest; the balance drops by what ended', () => {
    const w = setup();
    w.append(
      rollover({
        splits: [{ bucketId: 'month-1', amount: 500 }],
        ended: [{ bucketId: 'month-1', amount: 500 }],
      }),
      at(days(30)),
    );
    const v = w.fold.view(at(days(30)));
    expect(v.balances.image?.balance).toBe(550);
    expect(v.buckets.find((b) => b.bucketId === 'month-1')).toBeUndefined();
    expect(v.buckets.find((b) => b.bucketId === 'roll-1')).toMatchObject({
      source: 'rollover',
      remaining: 500,
    });
  });

  it('refuses a rollover past its cap, from a bucket that is not a plan bucket, or beyond what is there', () => {
    const w = setup();
    const refused: Array<EntryDraft<'rollover'>> = [
      rollover({ splits: [{ bucketId: 'month-1', amount: 600 }], ended: [] }),
      rollover({ splits: [{ bucketId: 'promo-1', amount: 50 }], ended: [] }),
      rollover({
        splits: [{ bucketId: 'month-1', amount: 500 }],
        ended: [{ bucketId: 'month-1', amount: 501 }],
      }),
      // A bucket that holds more than was moved.
      {
        ...rollover({ splits: [{ bucketId: 'month-1', amount: 100 }], ended: [] }),
        amount: 100,
        bucket: bucket(400, {
          bucketId: 'roll-1',
          source: 'rollover',
          effectiveAt: at(days(30)),
          expiresAt: at(days(90)),
        }),
      },
      // A bucket that claims another source.
      {
        ...rollover({ splits: [{ bucketId: 'month-1', amount: 100 }], ended: [] }),
        bucket: bucket(100, { bucketId: 'roll-1', source: 'pack', expiresAt: at(days(90)) }),
      },
    ];
    for (const entry of refused)
      expect(() => w.append(entry, at(days(30))), JSON.stringify(entry)).toThrow(
        LedgerInvariantError,
      );
    // Nothing changed: the plan bucket is whole and no rollover bucket exists.
    expect(w.fold.view(at(days(30))).balances.image?.balance).toBe(1050);
    expect(w.fold.view(at(days(30))).buckets.map((b) => b.bucketId)).toEqual(
      expect.not.arrayContaining(['roll-1']),
    );
  });

  it('leaves credits an open hold earmarks where they are', () => {
    const w = setup();
    w.append(
      {
        type: 'hold',
        operationId: uid('op'),
        holdId: 'h-1',
        kind: 'image',
        amount: 900,
        splits: [{ bucketId: 'month-1', amount: 900 }],
        expiresAt: at(days(31)),
        purpose: { kind: 'job', jobId: 'j-1', tool: 'generate' },
      },
      at(days(30) - 1),
    );
    expect(() =>
      w.append(
        rollover({ splits: [{ bucketId: 'month-1', amount: 200 }], ended: [] }),
        at(days(30)),
      ),
    ).toThrow(/below zero/);
    w.append(rollover({ splits: [{ bucketId: 'month-1', amount: 100 }], ended: [] }), at(days(30)));
    expect(w.fold.view(at(days(30))).balances.image).toMatchObject({ balance: 1050, held: 900 });
  });
});
