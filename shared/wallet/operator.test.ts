import { describe, expect, it } from 'vitest';
import type { EntryDraft } from '../ledger/entry';
import { ChainWriter } from '../ledger/writer';
import { at, bucket, days, grant, uid } from '../testing/ledger-fixture';
import { InsufficientCreditsError, allocate } from './allocate';
import { LedgerInvariantError, WalletFold } from './fold';
import type { FoldHistory, FoldSnapshot } from './fold-snapshot';
import { planExpiries } from './plan';

/** Operator controls in the fold (docs/architecture.md §2): priority, start date, expiry moves. */

const spend = (w: ChainWriter, amount: number, now: string): EntryDraft<'spend'> => ({
  type: 'spend',
  operationId: uid('op'),
  kind: 'image',
  amount,
  splits: allocate(w.view(now).buckets, 'image', amount),
  purpose: { kind: 'design', designId: 'd-1' },
});

const adjust = (
  bucketId: string,
  previousExpiresAt: string | null,
  expiresAt: string | null,
): EntryDraft<'adjust-expiry'> => ({
  type: 'adjust-expiry',
  operationId: uid('admin:op'),
  bucketId,
  kind: 'image',
  previousExpiresAt,
  expiresAt,
  operator: 'Ada Ops',
  reason: 'support ticket 42',
});

const operatorGrant = (
  spec: ReturnType<typeof bucket>,
  operator = 'Ada Ops',
): EntryDraft<'grant'> => ({ ...grant(spec, 'goodwill'), operator });

describe('operator grants: priority', () => {
  it('spends an operator bucket of lower priority number before everything else', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(10, { bucketId: 'daily', priority: 0, expiresAt: at(days(1)) })), at(1));
    w.append(grant(bucket(10, { bucketId: 'soon', expiresAt: at(60) })), at(2));
    w.append(operatorGrant(bucket(10, { bucketId: 'first', priority: 0 })), at(3));
    w.append(operatorGrant(bucket(10, { bucketId: 'last', priority: 900 })), at(4));
    const order = allocate(w.view(at(5)).buckets, 'image', 40).map((s) => s.bucketId);
    // Equal priority 0: the sooner expiry (daily) first, then the never-expiring operator bucket.
    expect(order).toEqual(['daily', 'first', 'soon', 'last']);
    const e = w.append(spend(w, 15, at(5)), at(5));
    expect(e.data.type === 'spend' && e.data.splits).toEqual([
      { bucketId: 'daily', amount: 10 },
      { bucketId: 'first', amount: 5 },
    ]);
  });
});

describe('operator grants: a future start', () => {
  it('is neither in the balance nor spendable before its start, and is from it on', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(5, { bucketId: 'now' })), at(1));
    w.append(
      operatorGrant(bucket(100, { bucketId: 'later', effectiveAt: at(days(2)), priority: 0 })),
      at(2),
    );
    const before = w.view(at(days(2) - 1));
    expect(before.balances.image).toMatchObject({ balance: 5, available: 5 });
    expect(before.buckets.find((b) => b.bucketId === 'later')).toMatchObject({
      live: false,
      free: 0,
    });
    expect(() => allocate(before.buckets, 'image', 6)).toThrow(InsufficientCreditsError);
    // A spend that names the bucket anyway is refused by the fold, and changes nothing.
    expect(() =>
      w.append(
        {
          type: 'spend',
          operationId: uid('op'),
          kind: 'image',
          amount: 6,
          splits: [{ bucketId: 'later', amount: 6 }],
          purpose: { kind: 'design', designId: 'd-1' },
        },
        at(3),
      ),
    ).toThrow(/not live/);
    expect(w.current.seq).toBe(2);

    const after = w.view(at(days(2)));
    expect(after.balances.image).toMatchObject({ balance: 105, available: 105 });
    // Priority 0 and now live: it goes first.
    expect(allocate(after.buckets, 'image', 101)).toEqual([
      { bucketId: 'later', amount: 100 },
      { bucketId: 'now', amount: 1 },
    ]);
  });

  it('refuses a grant whose bucket expires before it starts', () => {
    const w = new ChainWriter('acct');
    expect(() =>
      w.append(
        operatorGrant(bucket(1, { effectiveAt: at(days(3)), expiresAt: at(days(2)) })),
        at(1),
      ),
    ).toThrow(/expires before it starts/);
  });
});

describe('expiry adjustments', () => {
  it('extends a bucket: it stays spendable past its old expiry and expires at the new one', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(30, { bucketId: 'b', expiresAt: at(60) })), at(1));
    w.append(adjust('b', at(60), at(days(1))), at(10));
    expect(planExpiries(w.view(at(61)), at(61))).toEqual([]);
    expect(w.view(at(61)).balances.image?.available).toBe(30);
    w.append(spend(w, 10, at(120)), at(120));
    expect(planExpiries(w.view(at(days(1))), at(days(1)))).toEqual([
      { bucketId: 'b', kind: 'image', amount: 20 },
    ]);
    // The old expiry no longer holds: an expire entry at it is refused.
    const early = new ChainWriter('acct');
    early.append(grant(bucket(30, { bucketId: 'b', expiresAt: at(60) })), at(1));
    early.append(adjust('b', at(60), at(days(1))), at(10));
    expect(() =>
      early.append(
        { type: 'expire', operationId: 'x', bucketId: 'b', kind: 'image', amount: 30 },
        at(61),
      ),
    ).toThrow(/not expired yet/);
  });

  it('shortens a bucket, and a never-expiring one can be given an expiry', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(30, { bucketId: 'b', expiresAt: at(days(30)) })), at(1));
    w.append(grant(bucket(7, { bucketId: 'forever' })), at(2));
    w.append(adjust('b', at(days(30)), at(100)), at(10));
    w.append(adjust('forever', null, at(200)), at(11));
    expect(w.view(at(99)).balances.image?.balance).toBe(37);
    expect(w.view(at(100)).balances.image?.balance).toBe(7);
    expect(planExpiries(w.view(at(100)), at(100))).toEqual([
      { bucketId: 'b', kind: 'image', amount: 30 },
    ]);
    w.append(
      { type: 'expire', operationId: 'e', bucketId: 'b', kind: 'image', amount: 30 },
      at(100),
    );
    expect(w.view(at(200)).balances.image?.balance).toBe(0);
    // And back to never.
    const v = new ChainWriter('acct');
    v.append(grant(bucket(3, { bucketId: 'b', expiresAt: at(50) })), at(1));
    v.append(adjust('b', at(50), null), at(2));
    expect(v.view(at(days(365))).balances.image?.balance).toBe(3);
  });

  it('refuses a move into the past, of an expired or unknown bucket, or from a wrong expiry, changing nothing', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(30, { bucketId: 'b', expiresAt: at(60) })), at(1));
    w.append(
      grant(bucket(5, { bucketId: 'future', effectiveAt: at(500), expiresAt: at(900) })),
      at(2),
    );
    const cases: Array<[EntryDraft<'adjust-expiry'>, string, RegExp]> = [
      [adjust('b', at(60), at(5)), at(10), /not after the adjustment/],
      [adjust('b', at(60), at(10)), at(10), /not after the adjustment/],
      [adjust('b', at(61), at(100)), at(10), /expires at .* not /],
      [adjust('b', at(60), at(60)), at(10), /already expires/],
      [adjust('nope', null, at(100)), at(10), /unknown bucket/],
      [adjust('b', at(60), at(100)), at(60), /expired already/],
      [adjust('future', at(900), at(400)), at(10), /not after the bucket starts/],
      [{ ...adjust('b', at(60), at(100)), kind: 'video' }, at(10), /kind/],
    ];
    for (const [draft, when, message] of cases) {
      expect(() => w.append(draft, when)).toThrow(LedgerInvariantError);
      expect(() => w.append(draft, when)).toThrow(message);
      expect(w.current.seq).toBe(2);
      expect(w.view(at(59)).buckets.find((b) => b.bucketId === 'b')?.expiresAt).toBe(at(60));
    }
    // A future bucket's expiry may move as long as it stays after its start.
    w.append(adjust('future', at(900), at(600)), at(10));
    expect(w.view(at(550)).balances.image?.balance).toBe(5); // b expired at 60
    expect(w.view(at(600)).balances.image?.balance).toBe(0);
  });

  it('needs the operator and the reason in the signed entry', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(3, { bucketId: 'b', expiresAt: at(50) })), at(1));
    const { operator: _o, ...noOperator } = adjust('b', at(50), at(80));
    expect(() => w.append(noOperator as EntryDraft, at(2))).toThrow(/operator/);
    expect(() => w.append({ ...adjust('b', at(50), at(80)), reason: '' }, at(2))).toThrow(/reason/);
    expect(w.current.seq).toBe(1);
  });
});

describe('a fold snapshot keeps adjusted expiries', () => {
  it('restores the new expiry, not the granted one', () => {
    const w = new ChainWriter('acct');
    w.append(grant(bucket(9, { bucketId: 'b', expiresAt: at(60) })), at(1));
    w.append(adjust('b', at(60), at(600)), at(2));
    const json = JSON.parse(JSON.stringify(w.fold.toSnapshot())) as {
      core: FoldSnapshot;
      history: FoldHistory;
    };
    const restored = WalletFold.fromSnapshot(json.core, json.history);
    expect(restored.bucketSpec('b')?.expiresAt).toBe(at(600));
    expect(restored.view(at(300))).toEqual(w.view(at(300)));
    // The chain goes on from the restored fold with the same rules.
    expect(() =>
      restored.apply({
        v: 1,
        accountId: 'acct',
        seq: 3,
        at: at(3),
        ...adjust('b', at(60), at(900)),
      }),
    ).toThrow(/expires at .* not /);
  });
});
