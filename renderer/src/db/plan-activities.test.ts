import { describe, expect, it } from 'vitest';
import type { EntryDraft } from '../../../shared/ledger/entry';
import { ChainWriter } from '../../../shared/ledger/writer';
import { at, bucket, days } from '../../../shared/testing/ledger-fixture';
import { ActivityBuilder, initialActivityState } from './activities';
import { type LooseBody, toRows } from './rows';

const purchase = (purchaseId: string, itemId: string, amount: number, price: number) =>
  ({
    type: 'purchase',
    operationId: purchaseId,
    purchaseId,
    provider: 'stripe',
    paymentRef: `pi-${purchaseId}`,
    itemId,
    priceCents: price,
    currency: 'usd',
    itemTitle: itemId === 'pro' ? 'Pro' : 'Max',
    itemType: 'plan',
    buckets: [
      bucket(amount, {
        bucketId: `${purchaseId}:plan`,
        source: 'plan',
        costBasisCents: price,
        expiresAt: at(days(70)),
      }),
    ],
  }) satisfies EntryDraft<'purchase'>;

/** docs/architecture.md §9: a rollover and an upgrade are History activities of their own. */
describe('plan activities in History', () => {
  it('shows a rollover with what moved, the cap and what ended, and names an upgrade', () => {
    const w = new ChainWriter('acct');
    const entries = [
      w.append(purchase('stripe:in_1', 'pro', 1000, 990), at(1)),
      w.append(purchase('stripe:in_u:upgrade', 'max', 2000, 1600), at(2)),
      w.append(
        {
          type: 'rollover',
          operationId: 'stripe:in_2:rollover',
          planId: 'pro',
          purchaseId: 'stripe:in_2',
          kind: 'image',
          amount: 500,
          splits: [{ bucketId: 'stripe:in_1:plan', amount: 500 }],
          cap: 500,
          ended: [{ bucketId: 'stripe:in_1:plan', amount: 400 }],
          bucket: bucket(500, {
            bucketId: 'stripe:in_2:rollover',
            source: 'rollover',
            effectiveAt: at(days(30)),
            expiresAt: '2027-01-30T00:00:00.000Z',
          }),
        },
        at(days(30)),
      ),
    ];
    const builder = new ActivityBuilder(initialActivityState(), {
      open: new Map(),
      holds: new Map(),
    });
    toRows(entries, new Map(), (row, body: LooseBody) => builder.add(row, body));
    const [first, upgrade, rollover] = builder.changed;
    expect(first).toMatchObject({ kind: 'purchase', title: 'Pro', credits: 1000 });
    expect(upgrade).toMatchObject({
      kind: 'purchase',
      title: 'Upgraded to Max',
      detail: 'Plan upgrade · paid $16.00',
      credits: 2000,
    });
    expect(rollover).toMatchObject({
      kind: 'rollover',
      title: '500 credits rolled over',
      credits: -400,
      balanceAfter: 2600,
      ref: 'pro',
    });
    expect(rollover?.detail).toMatch(
      /^Cap 500 credits · Expires Jan 30, 2027 · 400 credits ended unused$/,
    );
  });
});
