import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEntry } from '../ledger/chain';
import type { EntryDraft, LedgerEntry } from '../ledger/entry';
import { ChainWriter } from '../ledger/writer';
import { at, bucket } from '../testing/ledger-fixture';
import { InsufficientCreditsError, allocate } from './allocate';
import { foldAll } from './fold';
import { planExpiries } from './plan';

/**
 * Operator controls under random sequences (docs/architecture.md §2): grants with a priority and
 * a start that may lie ahead, expiry moves both ways, spends planned by `allocate`, and time
 * passing with expiries written as the server does. Whatever the sequence, no spend draws on a
 * bucket before its start or after its expiry, every spend follows the priority order among
 * the buckets live at that moment, and the chain refolds to the same wallet.
 */
type Op =
  | { op: 'grant'; amount: number; priority: number; startIn: number; life: number | null }
  | { op: 'adjust'; pick: number; minutes: number | null }
  | { op: 'spend'; amount: number }
  | { op: 'advance'; minutes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('grant' as const),
    amount: fc.integer({ min: 1, max: 40 }),
    priority: fc.integer({ min: 0, max: 3 }),
    startIn: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })),
    life: fc.option(fc.integer({ min: 5, max: 300 }), { nil: null }),
  }),
  fc.record({
    op: fc.constant('adjust' as const),
    pick: fc.nat(),
    minutes: fc.option(fc.integer({ min: 1, max: 400 }), { nil: null }),
  }),
  fc.record({ op: fc.constant('spend' as const), amount: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ op: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 90 }) }),
);

describe('operator controls (property)', () => {
  it('never spends a bucket outside its start and expiry, keeps priority order, refolds the same', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const w = new ChainWriter('prop-op');
        const entries: LedgerEntry[] = [];
        let minute = 1;
        let n = 0;
        const now = () => at(minute);
        const add = (d: EntryDraft) => entries.push(w.append(d, now()));
        const ids: string[] = [];
        for (const o of ops) {
          // What time alone decided is written first, as LedgerService.materialise does.
          for (const x of planExpiries(w.view(now()), now()))
            add({ type: 'expire', operationId: `expire:${x.bucketId}:${++n}`, ...x });
          if (o.op === 'advance') {
            minute += o.minutes;
            continue;
          }
          if (o.op === 'grant') {
            const start = minute + o.startIn;
            const id = `g${++n}`;
            ids.push(id);
            add({
              type: 'grant',
              operationId: `admin:${n}`,
              reason: 'property',
              operator: 'Prop Ops',
              bucket: bucket(o.amount, {
                bucketId: id,
                priority: o.priority,
                effectiveAt: at(start),
                expiresAt: o.life === null ? null : at(start + o.life),
              }),
            });
            continue;
          }
          if (o.op === 'adjust') {
            const id = ids[o.pick % Math.max(1, ids.length)];
            const spec = id === undefined ? undefined : w.fold.bucketSpec(id);
            if (!id || !spec) continue;
            const to = o.minutes === null ? null : at(minute + o.minutes);
            const allowed =
              (spec.expiresAt === null || spec.expiresAt > now()) &&
              to !== spec.expiresAt &&
              (to === null || to > spec.effectiveAt);
            const draft: EntryDraft = {
              type: 'adjust-expiry',
              operationId: `admin:${++n}`,
              bucketId: id,
              kind: 'image',
              previousExpiresAt: spec.expiresAt,
              expiresAt: to,
              operator: 'Prop Ops',
              reason: 'property',
            };
            if (allowed) add(draft);
            else expect(() => w.append(draft, now())).toThrow();
            continue;
          }
          const view = w.view(now());
          let splits;
          try {
            splits = allocate(view.buckets, 'image', o.amount);
          } catch (e) {
            if (!(e instanceof InsufficientCreditsError)) throw e;
            expect(view.balances.image?.available ?? 0).toBeLessThan(o.amount);
            continue;
          }
          const byId = new Map(view.buckets.map((b) => [b.bucketId, b]));
          for (const s of splits) {
            const b = byId.get(s.bucketId)!;
            expect(b.effectiveAt <= now()).toBe(true);
            expect(b.expiresAt === null || now() < b.expiresAt).toBe(true);
          }
          // A bucket left untouched while others were drawn from never has a lower priority
          // number than any of them (lower spends first).
          const maxPriority = Math.max(...splits.map((s) => byId.get(s.bucketId)!.priority));
          for (const b of view.buckets)
            if (b.free > 0 && !splits.some((s) => s.bucketId === b.bucketId))
              expect(b.priority).toBeGreaterThanOrEqual(maxPriority);
          add({
            type: 'spend',
            operationId: `op:${++n}`,
            kind: 'image',
            amount: o.amount,
            splits,
            purpose: { kind: 'design', designId: 'd' },
          });
        }
        const refolded = foldAll(entries.map((e) => parseEntry(e).data));
        expect(refolded.view(now())).toEqual(w.view(now()));
        const b = w.view(now());
        const live = b.buckets.filter((x) => x.live).reduce((t, x) => t + x.remaining, 0);
        expect(b.balances.image?.balance ?? 0).toBe(live);
      }),
      { numRuns: 300 },
    );
  });
});
