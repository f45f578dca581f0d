import type { EntryDraft, LedgerEntry, WireEntry } from '../../../shared/ledger/entry';
import { ChainWriter } from '../../../shared/ledger/writer';
import { T0, at, testServerKey } from '../../../shared/testing/ledger-fixture';
import { allocate } from '../../../shared/wallet/allocate';
import { planCapture } from '../../../shared/wallet/plan';

const wire = (e: LedgerEntry): WireEntry => ({ seq: e.seq, hash: e.hash, body: e.body });

/** Gives a signed test chain for one account, a minute apart per entry, with holds and captures (docs/architecture.md §12). */
export function testChain(account: string) {
  const writer = new ChainWriter(account);
  let minute = 0;
  const add = (draft: EntryDraft, when = at(++minute)) => wire(writer.append(draft, when));
  const hold = (holdId: string, purpose: EntryDraft<'hold'>['purpose'], amount: number) =>
    add({
      type: 'hold',
      operationId: `op-${holdId}`,
      holdId,
      kind: 'image',
      amount,
      splits: allocate(writer.view(at(minute)).buckets, 'image', amount),
      expiresAt: at(minute + 15),
      purpose,
    });
  const job = (holdId: string, tool: string, amount: number) =>
    hold(holdId, { kind: 'job', jobId: `job-${holdId}`, tool }, amount);
  const capture = (holdId: string, amount: number) => {
    const held = writer.fold.hold(holdId);
    if (!held) throw new Error(`no hold ${holdId}`);
    return add({
      type: 'capture',
      operationId: `op-capture-${holdId}`,
      holdId,
      amount,
      splits: planCapture(held, amount),
    });
  };
  const checkpoint = () => writer.checkpoint(T0, testServerKey);
  return { writer, add, hold, job, capture, checkpoint, now: () => minute };
}
