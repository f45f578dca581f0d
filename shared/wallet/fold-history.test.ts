import { describe, expect, it } from 'vitest';
import type { EntryDraft } from '../ledger/entry';
import { ChainWriter } from '../ledger/writer';
import { at, bucket, grant } from '../testing/ledger-fixture';
import { FoldHistoryNeeded, LedgerInvariantError, WalletFold } from './fold';

/**
 * docs/architecture.md §9: a fold restored from its snapshot's core alone decides what the core
 * decides, and throws FoldHistoryNeeded, changing nothing, where only the history can answer.
 */
describe('WalletFold without its history', () => {
  const keep = bucket(100);
  const purpose = { kind: 'job' as const, jobId: 'j', tool: 'generate' };
  const hold = (holdId: string, minute: number): EntryDraft<'hold'> => ({
    type: 'hold',
    operationId: `h-${holdId}`,
    holdId,
    kind: 'image',
    amount: 6,
    splits: [{ bucketId: keep.bucketId, amount: 6 }],
    expiresAt: at(minute + 15),
    purpose,
  });
  const capture = (holdId: string): EntryDraft<'capture'> => ({
    type: 'capture',
    operationId: `c-${holdId}`,
    holdId,
    amount: 6,
    splits: [{ bucketId: keep.bucketId, amount: 6 }],
  });
  const refund = (paidBy: string): EntryDraft<'refund'> => ({
    type: 'refund',
    operationId: `r-${paidBy}`,
    itemId: `item-${paidBy}`,
    paidBy,
    kind: 'image',
    amount: 6,
    splits: [{ bucketId: keep.bucketId, amount: 6 }],
    newBucket: null,
    reason: 'disliked image',
  });

  const sorted = ({ core, history }: ReturnType<WalletFold['toSnapshot']>) => ({
    core: { ...core, historyHoldIds: [...core.historyHoldIds].sort() },
    history: {
      holds: [...history.holds].sort((x, y) => x.holdId.localeCompare(y.holdId)),
      payments: [...history.payments].sort(([x], [y]) => x.localeCompare(y)),
    },
  });

  /** A whole fold and the same fold restored from its core, with the history kept aside. */
  function restored() {
    const w = new ChainWriter('acct');
    w.append(grant(keep), at(0));
    w.append(hold('a', 1), at(1));
    w.append(capture('a'), at(2));
    w.append(hold('b', 3), at(3));
    w.append(
      { type: 'release', operationId: 'rel-b', holdId: 'b', amount: 6, reason: 'failed' },
      at(4),
    );
    w.append(
      {
        type: 'spend',
        operationId: 's',
        kind: 'image',
        amount: 6,
        splits: [{ bucketId: keep.bucketId, amount: 6 }],
        purpose: { kind: 'design', designId: 'd' },
      },
      at(5),
    );
    w.append(hold('open', 6), at(6));
    const { core, history } = JSON.parse(JSON.stringify(w.fold.toSnapshot())) as ReturnType<
      WalletFold['toSnapshot']
    >;
    const partial = WalletFold.fromSnapshot(core);
    return { w, partial, history, on: new ChainWriter('acct', { head: w.current, fold: partial }) };
  }

  it('keeps resolved holds and payments out of the core', () => {
    const { w, history } = restored();
    const { core } = w.fold.toSnapshot();
    expect(core.openHolds.map((h) => h.holdId)).toEqual(['open']);
    expect(core.historyHoldIds.sort()).toEqual(['a', 'b']);
    expect(history.holds.map((h) => h.holdId).sort()).toEqual(['a', 'b']);
    expect(history.payments.map(([id]) => id)).toEqual(['s']);
  });

  it('has the same wallet and open holds, weighs less, and is not complete', () => {
    const { w, partial } = restored();
    expect(partial.view(at(7))).toEqual(w.fold.view(at(7)));
    expect(partial.hold('open')).toEqual(w.fold.hold('open'));
    expect(partial.hold('never')).toBeUndefined();
    expect(partial.weight).toBeLessThan(w.fold.weight);
    expect(partial.complete).toBe(false);
    expect(w.fold.complete).toBe(true);
  });

  it('asks for its history where only the history can answer', () => {
    const { partial } = restored();
    expect(() => partial.hold('a')).toThrow(FoldHistoryNeeded);
    expect(() => partial.payment('s')).toThrow(FoldHistoryNeeded);
    expect(() => partial.payment('a')).toThrow(FoldHistoryNeeded);
    expect(() => partial.toSnapshot()).toThrow(FoldHistoryNeeded);
  });

  it.each([
    ['a capture of a resolved hold', capture('b')],
    ['a refund of a spend', refund('s')],
    ['a refund of a capture', refund('a')],
  ])('changes nothing when %s needs the history', (_, draft) => {
    const { partial, on } = restored();
    const before = partial.view(at(7));
    expect(() => on.append(draft, at(7))).toThrow(FoldHistoryNeeded);
    expect(partial.view(at(7))).toEqual(before);
    expect(partial.lastSeq).toBe(7);
  });

  it('refuses a new hold that reuses the id of a resolved hold it does not hold', () => {
    const { partial, on } = restored();
    expect(() => on.append(hold('a', 8), at(8))).toThrow(LedgerInvariantError);
    expect(partial.lastSeq).toBe(7);
  });

  it('folds on, then takes its history, and is the whole fold again', () => {
    const { w, partial, history, on } = restored();
    const more: Array<EntryDraft> = [capture('open'), hold('c', 9)];
    for (const draft of more) {
      w.append(draft, at(9));
      on.append(draft, at(9));
    }
    partial.attachHistory(history);
    expect(partial.complete).toBe(true);
    // The same rows; only the order of the Maps differs (the history's holds come after).
    expect(sorted(partial.toSnapshot())).toEqual(sorted(w.fold.toSnapshot()));
    w.append(refund('a'), at(10));
    on.append(refund('a'), at(10));
    expect(partial.view(at(11))).toEqual(w.fold.view(at(11)));
    expect(partial.payment('a')).toEqual(w.fold.payment('a'));
  });

  it('refuses a history that is not the one its core names, and stays as it was', () => {
    const { partial, history } = restored();
    expect(() => partial.attachHistory({ ...history, holds: history.holds.slice(1) })).toThrow(
      /holds/,
    );
    const reopened = history.holds.map((h) => ({ ...h, status: 'open' as const }));
    expect(() => partial.attachHistory({ ...history, holds: reopened })).toThrow(/resolved/);
    expect(partial.complete).toBe(false);
    expect(() => partial.hold('a')).toThrow(FoldHistoryNeeded);
  });
});
