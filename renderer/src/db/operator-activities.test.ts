import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { EntryDraft, LedgerEntry, WireEntry } from '../../../shared/ledger/entry';
import { ChainWriter } from '../../../shared/ledger/writer';
import {
  T0,
  at,
  bucket,
  testServerKey,
  testServerKeys,
} from '../../../shared/testing/ledger-fixture';
import { allocate } from '../../../shared/wallet/allocate';
import { date } from '../util/format';
import type { Activity } from './activities';
import { readActivities } from './activity-pages';
import { openDb } from './db';
import { storeBatch } from './store-batch';

/** Operator entries in History (docs/architecture.md §2): what support did, and why. */
const ACCOUNT = 'acct-operator';
const wire = (e: LedgerEntry): WireEntry => ({ seq: e.seq, hash: e.hash, body: e.body });

async function storedActivities(draftsAt: Array<[EntryDraft, string]>): Promise<Activity[]> {
  const w = new ChainWriter(ACCOUNT);
  const entries: WireEntry[] = [];
  for (const [draft, when] of draftsAt) {
    // Spends are planned at their own time, as the server does.
    const d =
      draft.type === 'spend'
        ? { ...draft, splits: allocate(w.view(when).buckets, 'image', draft.amount) }
        : draft;
    entries.push(wire(w.append(d, when)));
  }
  const db = openDb(`test-operator-activities-${Math.random().toString(36).slice(2)}`);
  await storeBatch(db, ACCOUNT, entries, w.checkpoint(T0, testServerKey), testServerKeys);
  const count = (await db.cursor.get('head'))?.activities?.count ?? 0;
  const list = await readActivities(db, 0, count - 1);
  db.close();
  return list;
}

describe('operator entries in History', () => {
  it('shows an operator grant, an expiry moved both ways and a revoke with the reason and who', async () => {
    const list = await storedActivities([
      [
        {
          type: 'grant',
          operationId: 'admin:1',
          reason: 'Sorry for the outage',
          operator: 'Ada Ops',
          bucket: bucket(100, {
            bucketId: 'b-op',
            source: 'adjustment',
            effectiveAt: at(60 * 24 * 3),
            expiresAt: at(60 * 24 * 10),
            priority: 10,
          }),
        },
        at(1),
      ],
      [
        {
          type: 'adjust-expiry',
          operationId: 'admin:2',
          bucketId: 'b-op',
          kind: 'image',
          previousExpiresAt: at(60 * 24 * 10),
          expiresAt: at(60 * 24 * 40),
          operator: 'Ada Ops',
          reason: 'Ticket 42: away for a month',
        },
        at(2),
      ],
      [
        {
          type: 'adjust-expiry',
          operationId: 'admin:3',
          bucketId: 'b-op',
          kind: 'image',
          previousExpiresAt: at(60 * 24 * 40),
          expiresAt: at(60 * 24 * 20),
          operator: 'Bo',
          reason: 'Ticket 43: corrected',
        },
        at(3),
      ],
      [
        {
          type: 'spend',
          operationId: 'admin:4',
          kind: 'image',
          amount: 30,
          splits: [],
          purpose: { kind: 'revoke', reason: 'Duplicate grant', operator: 'Ada Ops' },
        },
        at(60 * 24 * 4),
      ],
    ]);
    const rows = list.map((a) => [a.kind, a.title, a.credits, a.balanceAfter, a.status]);
    expect(rows).toEqual([
      [
        'adjustment',
        `Credits from support, starting ${date(at(60 * 24 * 3))}`,
        100,
        100,
        'credited',
      ],
      ['adjustment', `More time from support: until ${date(at(60 * 24 * 40))}`, 0, 100, 'adjusted'],
      ['adjustment', `Expiry brought forward: until ${date(at(60 * 24 * 20))}`, 0, 100, 'adjusted'],
      ['adjustment', 'Credits taken back by support', -30, 70, 'charged'],
    ]);
    expect(list[0]?.detail).toBe(
      `Sorry for the outage — by Ada Ops · Expires ${date(at(60 * 24 * 10))}`,
    );
    expect(list[1]?.detail).toBe(
      `Ticket 42: away for a month — by Ada Ops · was ${date(at(60 * 24 * 10))}`,
    );
    expect(list[2]?.detail).toContain('Ticket 43: corrected — by Bo');
    expect(list[3]?.detail).toBe('Duplicate grant — by Ada Ops');
    // The search finds an activity by the reason and by the operator.
    expect(list.filter((a) => a.search.includes('ticket 42')).map((a) => a.n)).toEqual([1]);
    expect(list.filter((a) => a.search.includes('by bo')).map((a) => a.n)).toEqual([2]);
  });

  it('keeps older grants and revokes without an operator as they were', async () => {
    const list = await storedActivities([
      [
        {
          type: 'grant',
          operationId: 'g',
          reason: 'x',
          bucket: bucket(5, { source: 'adjustment' }),
        },
        at(1),
      ],
      [
        {
          type: 'spend',
          operationId: 's',
          kind: 'image',
          amount: 2,
          splits: [],
          purpose: { kind: 'revoke', reason: 'old' },
        },
        at(2),
      ],
    ]);
    expect(list.map((a) => [a.kind, a.title, a.detail])).toEqual([
      ['other', 'Credit adjustment', 'Never expires'],
      ['other', 'Credits taken back by support', 'old'],
    ]);
  });
});
