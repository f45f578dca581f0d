import { describe, expect, it } from 'vitest';
import { ChainWriter } from '../ledger/writer';
import { at, bucket, days, grant } from '../testing/ledger-fixture';
import { WalletFold } from './fold';

/** docs/architecture.md §9: pruning forgets what nothing can name, and changes no balance. */
describe('WalletFold.prune and snapshots', () => {
  function chain() {
    const w = new ChainWriter('acct');
    const keep = bucket(100);
    w.append(grant(keep), at(0));
    w.append(grant(bucket(5, { expiresAt: at(60) })), at(1)); // expires unused
    const purpose = { kind: 'job' as const, jobId: 'j', tool: 'generate' };
    const hold = (holdId: string, minute: number) =>
      w.append(
        {
          type: 'hold',
          operationId: `h-${holdId}`,
          holdId,
          kind: 'image',
          amount: 6,
          splits: [{ bucketId: keep.bucketId, amount: 6 }],
          expiresAt: at(minute + 15),
          purpose,
        },
        at(minute),
      );
    hold('old', 2);
    w.append(
      {
        type: 'capture',
        operationId: 'c-old',
        holdId: 'old',
        amount: 6,
        splits: [{ bucketId: keep.bucketId, amount: 6 }],
      },
      at(3),
    );
    w.append(
      {
        type: 'expire',
        operationId: 'x',
        bucketId: w.view(at(61)).buckets[1]!.bucketId,
        kind: 'image',
        amount: 5,
      },
      at(61),
    );
    hold('open', days(3));
    return w;
  }

  it('forgets old resolved holds and empty expired buckets, keeps payments in their window and every balance', () => {
    const w = chain();
    const now = at(days(3) + 1);
    const before = w.fold.view(now);
    const weight = w.fold.weight;
    w.fold.prune(at(days(-30)), at(days(2)));
    expect(w.fold.hold('old')).toBeUndefined();
    expect(w.fold.payment('old')?.splits).toEqual([
      { bucketId: before.buckets[0]!.bucketId, amount: 6 },
    ]);
    expect(w.fold.hold('open')?.status).toBe('open');
    expect(w.fold.view(now)).toEqual(before);
    w.fold.prune(at(days(2)), at(days(2)));
    expect(w.fold.payment('old')).toBeUndefined();
    expect(w.fold.weight).toBeLessThan(weight);
    expect(w.fold.view(now)).toEqual(before);
  });

  it('restores from its snapshot to the same wallet, and folds on from it alike', () => {
    const w = chain();
    const { core, history } = JSON.parse(JSON.stringify(w.fold.toSnapshot())) as ReturnType<
      WalletFold['toSnapshot']
    >;
    const restored = WalletFold.fromSnapshot(core, history);
    const now = at(days(3) + 1);
    expect(restored.view(now)).toEqual(w.fold.view(now));
    expect(restored.toSnapshot()).toEqual(w.fold.toSnapshot());
    const again = new ChainWriter('acct', { head: w.current, fold: restored });
    const release = {
      type: 'release' as const,
      operationId: 'r',
      holdId: 'open',
      amount: 6,
      reason: 'released' as const,
    };
    again.append(release, now);
    w.append(release, now);
    expect(restored.view(now)).toEqual(w.fold.view(now));
  });
});
