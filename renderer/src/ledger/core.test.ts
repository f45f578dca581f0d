// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { EntryDraft, LedgerEntry, WireEntry } from '../../../shared/ledger/entry';
import { ChainWriter } from '../../../shared/ledger/writer';
import { at, bucket, grant } from '../../../shared/testing/ledger-fixture';
import { openDb } from '../db/db';
import { LedgerCore } from './core';

const wire = (e: LedgerEntry): WireEntry => ({ seq: e.seq, hash: e.hash, body: e.body });
const spend = (amount: number): EntryDraft<'spend'> => ({
  type: 'spend',
  operationId: `spend-${amount}`,
  kind: 'image',
  amount,
  splits: [{ bucketId: 'x', amount }],
  purpose: { kind: 'design', designId: 'd-1' },
});

/** docs/architecture.md §3: after the fold refuses an entry, the core folds nothing more. */
describe('LedgerCore after a refused entry', () => {
  it('does not build on a fold that refused an entry', () => {
    const core = new LedgerCore(openDb('core-refused'));
    const good = new ChainWriter('acct');
    const e1 = good.append(grant(bucket(10, { bucketId: 'x' })), at(1));
    const e2 = good.append(spend(5), at(2));
    const e3 = good.append(spend(1), at(3));
    // An entry 2 the fold refuses (it spends 20 of 10), as a lying source would send it.
    const other = new ChainWriter('acct');
    other.append(grant(bucket(30, { bucketId: 'x' })), at(1));
    const bad = other.append(spend(20), at(2));

    expect(core.append([wire(e1)], at(1)).error).toBeNull();
    const refused = core.append([wire(bad)], at(2));
    expect(refused.error).toMatchObject({ ok: false, reason: 'invalid-entry', seq: 2 });
    expect(refused.state.balances.image?.balance).toBe(10);
    expect(core.isBroken).toBe(true);
    // Later batches are not folded onto it, even good ones.
    const later = core.append([wire(e2), wire(e3)], at(3));
    expect(later.error).toMatchObject({ ok: false, reason: 'not-loaded' });
    expect(later.state.seq).toBe(1);
    expect(later.state.balances.image?.balance).toBe(10);
  });
});
