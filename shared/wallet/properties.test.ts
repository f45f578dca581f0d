import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEntry } from '../ledger/chain';
import type { EntryDraft, LedgerEntry, WireEntry } from '../ledger/entry';
import { signCheckpoint } from '../ledger/checkpoint';
import { verifyChain } from '../ledger/verify';
import { ChainWriter } from '../ledger/writer';
import { at, bucket, testServerKey, testServerKeys } from '../testing/ledger-fixture';
import { allocate, compareSpendingOrder } from './allocate';
import { WalletFold, fold } from './fold';
import { planCapture, planExpiries, planRefund } from './plan';
import type { BucketView, WalletState } from './types';

const bucketArb = fc.record({
  free: fc.integer({ min: 0, max: 50 }),
  priority: fc.integer({ min: 0, max: 3 }),
  expiresAt: fc.option(
    fc.integer({ min: 1, max: 9 }).map((d) => at(d * 1440)),
    { nil: null },
  ),
  costBasisCents: fc.constantFrom(0, 990),
  createdSeq: fc.integer({ min: 1, max: 1000 }),
});

describe('allocate (property)', () => {
  it('sums to the amount, never takes more than a bucket has, and follows the spending order', () => {
    fc.assert(
      fc.property(
        fc.array(bucketArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 600 }),
        (raw, want) => {
          const buckets: BucketView[] = raw.map((b, i) => ({
            bucketId: `b${i}`,
            kind: 'image',
            source: 'promo',
            amount: b.free,
            effectiveAt: at(0),
            remaining: b.free,
            held: 0,
            live: true,
            ...b,
          }));
          const total = buckets.reduce((t, b) => t + b.free, 0);
          if (want > total) {
            expect(() => allocate(buckets, 'image', want)).toThrow();
            return;
          }
          const splits = allocate(buckets, 'image', want);
          expect(splits.reduce((t, s) => t + s.amount, 0)).toBe(want);
          const byId = new Map(buckets.map((b) => [b.bucketId, b]));
          for (const s of splits) expect(s.amount).toBeLessThanOrEqual(byId.get(s.bucketId)!.free);
          expect(new Set(splits.map((s) => s.bucketId)).size).toBe(splits.length);
          // every bucket before the last one used is used up; every later one is untouched
          const used = splits.map((s) => byId.get(s.bucketId)!);
          for (let i = 0; i + 1 < used.length; i++) {
            expect(compareSpendingOrder(used[i]!, used[i + 1]!)).toBeLessThan(0);
            expect(splits[i]!.amount).toBe(used[i]!.free);
          }
          const last = used.at(-1)!;
          for (const b of buckets) {
            if (b.free > 0 && !byId.has(b.bucketId)) continue;
            if (b.free > 0 && !splits.some((s) => s.bucketId === b.bucketId))
              expect(compareSpendingOrder(last, b)).toBeLessThan(0);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

type Op =
  | { op: 'grant'; amount: number; priority: number; life: number | null; paid: boolean }
  | { op: 'spend'; amount: number }
  | { op: 'hold'; amount: number }
  | { op: 'capture'; pick: number; fraction: number }
  | { op: 'release'; pick: number }
  | { op: 'refund'; pick: number; amount: number }
  | { op: 'advance'; minutes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('grant' as const),
    amount: fc.integer({ min: 1, max: 40 }),
    priority: fc.integer({ min: 0, max: 2 }),
    life: fc.option(fc.integer({ min: 5, max: 300 }), { nil: null }),
    paid: fc.boolean(),
  }),
  fc.record({ op: fc.constant('spend' as const), amount: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ op: fc.constant('hold' as const), amount: fc.integer({ min: 1, max: 30 }) }),
  fc.record({
    op: fc.constant('capture' as const),
    pick: fc.nat(),
    fraction: fc.integer({ min: 0, max: 4 }),
  }),
  fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
  fc.record({
    op: fc.constant('refund' as const),
    pick: fc.nat(),
    amount: fc.integer({ min: 1, max: 10 }),
  }),
  fc.record({ op: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 120 }) }),
);

/** Turns random intents into valid entries, the way the server would, and returns the chain. */
function run(ops: Op[]): {
  entries: LedgerEntry[];
  writer: ChainWriter;
  now: string;
  resolvedTwice: number;
} {
  const w = new ChainWriter('prop');
  let minute = 0;
  let n = 0;
  let resolvedTwice = 0;
  const now = () => at(minute);
  const entries: LedgerEntry[] = [];
  const payers: string[] = [];
  const add = (d: EntryDraft) => {
    const e = w.append(d, now());
    entries.push(e);
    if (e.data.type === 'spend') payers.push(e.data.operationId);
    if (e.data.type === 'capture' && e.data.amount > 0) payers.push(e.data.holdId);
  };
  const expireDue = () => {
    for (const e of planExpiries(w.view(now()), now()))
      add({ type: 'expire', operationId: `x${++n}`, ...e });
  };
  for (const o of ops) {
    expireDue();
    const state = w.view(now());
    const avail = state.balances.image?.available ?? 0;
    const open = [...state.openHolds.values()];
    const paid = payers
      .map((id) => [id, w.fold.payment(id)!] as const)
      .filter(([, p]) => p.refundedTotal < p.splits.reduce((t, s) => t + s.amount, 0));
    switch (o.op) {
      case 'grant':
        add({
          type: 'grant',
          operationId: `g${++n}`,
          reason: 'p',
          bucket: bucket(o.amount, {
            bucketId: `b${n}`,
            priority: o.priority,
            costBasisCents: o.paid ? 100 : 0,
            effectiveAt: now(),
            expiresAt: o.life === null ? null : at(minute + o.life),
          }),
        });
        break;
      case 'spend':
        if (o.amount <= avail)
          add({
            type: 'spend',
            operationId: `s${++n}`,
            kind: 'image',
            amount: o.amount,
            splits: allocate(state.buckets, 'image', o.amount),
            purpose: { kind: 'design', designId: 'd' },
          });
        break;
      case 'hold':
        if (o.amount <= avail)
          add({
            type: 'hold',
            operationId: `h${++n}`,
            holdId: `hold${n}`,
            kind: 'image',
            amount: o.amount,
            splits: allocate(state.buckets, 'image', o.amount),
            expiresAt: at(minute + 15),
            purpose: { kind: 'job', jobId: `j${n}`, tool: 'generate' },
          });
        break;
      case 'capture': {
        const h = open[o.pick % Math.max(1, open.length)];
        if (h) {
          const amount = Math.floor((h.amount * o.fraction) / 4);
          add({
            type: 'capture',
            operationId: `c${++n}`,
            holdId: h.holdId,
            amount,
            splits: planCapture(h, amount),
          });
          try {
            w.append(
              {
                type: 'release',
                operationId: `dup${n}`,
                holdId: h.holdId,
                amount: h.amount,
                reason: 'released',
              },
              now(),
            );
          } catch {
            resolvedTwice++; // refused, as it must be
          }
        }
        break;
      }
      case 'release': {
        const h = open[o.pick % Math.max(1, open.length)];
        if (h)
          add({
            type: 'release',
            operationId: `r${++n}`,
            holdId: h.holdId,
            amount: h.amount,
            reason: 'failed',
          });
        break;
      }
      case 'refund': {
        const p = paid[o.pick % Math.max(1, paid.length)];
        if (p) {
          const [paidBy, pay] = p;
          const amount = Math.min(
            o.amount,
            pay.splits.reduce((t, s) => t + s.amount, 0) - pay.refundedTotal,
          );
          const plan = planRefund(pay, (id) => w.fold.isBucketLive(id, now()), amount, {
            bucketId: `rb${++n}`,
            costBasisCents: 0,
            effectiveAt: now(),
            expiresAt: null,
            priority: 100,
          });
          add({
            type: 'refund',
            operationId: `rf${n}`,
            itemId: `item${n}`,
            paidBy,
            kind: 'image',
            amount,
            ...plan,
            reason: 'disliked',
          });
        }
        break;
      }
      case 'advance':
        minute += o.minutes;
        break;
    }
  }
  return { entries, writer: w, now: now(), resolvedTwice };
}

function checkInvariants(state: WalletState): void {
  let free = 0;
  for (const b of state.buckets) {
    expect(b.remaining).toBeGreaterThanOrEqual(0);
    expect(b.held).toBeGreaterThanOrEqual(0);
    expect(b.held).toBeLessThanOrEqual(b.remaining);
    expect(b.remaining).toBeLessThanOrEqual(b.amount);
    free += b.free;
  }
  const img = state.balances.image ?? { available: 0, held: 0, balance: 0, reserved: 0 };
  expect(img.available).toBe(free);
  expect(img.available).toBeGreaterThanOrEqual(0);
  expect(img.balance - img.held - img.reserved).toBe(img.available);
}

describe('ledger operations (property)', () => {
  it('keep every bucket non-negative, resolve holds once, and fold deterministically', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const { entries, writer, now, resolvedTwice } = run(ops);
        const live = writer.view(now);
        checkInvariants(live);
        const captures = entries.filter((e) => e.data.type === 'capture').length;
        expect(resolvedTwice).toBe(captures);
        // refold from the wire text: same state, twice
        const reparsed = entries.map(
          (e) => parseEntry({ seq: e.seq, hash: e.hash, body: e.body }).data,
        );
        const a = fold(reparsed, now);
        const b = fold(reparsed, now);
        expect(a.balances).toEqual(live.balances);
        expect(b.buckets).toEqual(a.buckets);
        // and refuses the same entries out of order
        if (reparsed.length >= 2) {
          const swapped = [reparsed[1]!, reparsed[0]!, ...reparsed.slice(2)];
          expect(() => fold(swapped, now)).toThrow(/out of order/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('tamper detection (property)', () => {
  const chainArb = fc
    .array(opArb, { minLength: 3, maxLength: 25 })
    .map((ops) => run([{ op: 'grant', amount: 30, priority: 0, life: null, paid: false }, ...ops]));

  it('detects any changed byte, dropped entry, swapped pair or forged checkpoint', () => {
    fc.assert(
      fc.property(
        chainArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom('byte', 'drop', 'swap', 'forge'),
        (built, pickEntry, pickByte, xor, kind) => {
          const wire: WireEntry[] = built.entries.map((e) => ({
            seq: e.seq,
            hash: e.hash,
            body: e.body,
          }));
          let checkpoint = built.writer.checkpoint(built.now, testServerKey);
          expect(verifyChain(wire, checkpoint, testServerKeys, { accountId: 'prop' }).ok).toBe(
            true,
          );
          const i = pickEntry % wire.length;
          let bad = wire.map((e) => ({ ...e }));
          switch (kind) {
            case 'byte': {
              const body = bad[i]!.body;
              const j = pickByte % body.length;
              const ch = String.fromCharCode((body.charCodeAt(j) ^ xor) & 0x7f || 1);
              if (ch === body[j]) return;
              bad[i] = { ...bad[i]!, body: body.slice(0, j) + ch + body.slice(j + 1) };
              break;
            }
            case 'drop':
              bad = bad.filter((_, k) => k !== i);
              break;
            case 'swap':
              if (wire.length < 2) return;
              {
                const k = i === wire.length - 1 ? i - 1 : i;
                [bad[k], bad[k + 1]] = [bad[k + 1]!, bad[k]!];
              }
              break;
            case 'forge':
              checkpoint = {
                ...checkpoint,
                checkpoint: {
                  ...checkpoint.checkpoint,
                  seq: checkpoint.checkpoint.seq + (pickByte % 3) + 1,
                },
              };
              break;
          }
          expect(verifyChain(bad, checkpoint, testServerKeys, { accountId: 'prop' }).ok).toBe(
            false,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a checkpoint re-signed by the real key over a different head still fails against the entries', () => {
    const { entries, writer, now } = run([
      { op: 'grant', amount: 30, priority: 0, life: null, paid: false },
      { op: 'spend', amount: 3 },
    ]);
    const cp = writer.checkpoint(now, testServerKey).checkpoint;
    const forged = signCheckpoint({ ...cp, head: 'f'.repeat(64) }, testServerKey.secretKey);
    expect(verifyChain(entries, forged, testServerKeys, { accountId: 'prop' })).toMatchObject({
      ok: false,
      reason: 'checkpoint-mismatch',
    });
    expect(new WalletFold().lastSeq).toBe(0);
  });
});
