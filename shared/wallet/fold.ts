import type { BucketSpec, EntryBody, EntryOf, Split } from '../ledger/entry';
import type { BucketView, HoldView, KindBalance, ReserveView, WalletState } from './types';

/** An entry that breaks a ledger rule: the chain is valid but its content is not. */
export class LedgerInvariantError extends Error {
  constructor(
    readonly seq: number,
    message: string,
  ) {
    super(`entry ${seq}: ${message}`);
    this.name = 'LedgerInvariantError';
  }
}

interface BucketRow {
  spec: BucketSpec;
  createdSeq: number;
  remaining: number;
  held: number;
}

interface HoldRow extends Omit<HoldView, 'splits'> {
  earmarks: Map<string, number>;
  splits: Split[];
}

interface PaymentRow {
  kind: string;
  splits: Split[];
  /** Already refunded, per bucket and in new refund buckets. */
  refunded: Map<string, number>;
  refundedTotal: number;
}

const newPayment = (kind: string, splits: Split[]): PaymentRow => ({ kind, splits, refunded: new Map(), refundedTotal: 0 });

interface ReserveRow extends Omit<ReserveView, 'earmarks'> {
  earmarks: Map<string, number>;
}

/**
 * Folds ledger entries into wallet state, asserting every ledger rule as it goes (seq order,
 * one account, no bucket below zero, each hold resolved once, captures within holds…). The
 * server and the app fold with this same code, so they agree on every balance.
 */
export class WalletFold {
  private accountId: string | null = null;
  private seq = 0;
  private lastAt = '';
  private readonly buckets = new Map<string, BucketRow>();
  private readonly holds = new Map<string, HoldRow>();
  private readonly reserves = new Map<string, ReserveRow>();
  private readonly debt = new Map<string, number>();
  private readonly purchases = new Map<string, string[]>();
  private readonly refundedItems = new Set<string>();
  private readonly reversedPurchases = new Set<string>();
  private readonly payments = new Map<string, PaymentRow>();

  get lastSeq(): number {
    return this.seq;
  }

  apply(entry: EntryBody): void {
    const { seq } = entry;
    const fail = (message: string): never => {
      throw new LedgerInvariantError(seq, message);
    };
    if (seq !== this.seq + 1) fail(`out of order: expected seq ${this.seq + 1}`);
    if (this.accountId === null) this.accountId = entry.accountId;
    else if (entry.accountId !== this.accountId) fail(`belongs to account ${entry.accountId}, not ${this.accountId}`);
    if (entry.at < this.lastAt) fail(`time goes backwards (${entry.at} < ${this.lastAt})`);

    switch (entry.type) {
      case 'grant':
        this.addBucket(entry.bucket, seq, fail);
        break;
      case 'purchase':
        if (this.purchases.has(entry.purchaseId)) fail(`purchase ${entry.purchaseId} is credited twice`);
        for (const bucket of entry.buckets) this.addBucket(bucket, seq, fail);
        this.purchases.set(entry.purchaseId, entry.buckets.map((b) => b.bucketId));
        break;
      case 'spend':
        this.checkSplits(entry.splits, entry.amount, entry.kind, entry.at, fail);
        for (const s of entry.splits) this.bucketOf(s.bucketId, fail).remaining -= s.amount;
        this.payments.set(entry.operationId, newPayment(entry.kind, entry.splits));
        break;
      case 'hold':
        this.applyHold(entry, fail);
        break;
      case 'capture':
        this.applyCapture(entry, fail);
        break;
      case 'release': {
        const hold = this.openHold(entry.holdId, fail);
        if (entry.amount !== hold.amount) fail(`release of ${entry.amount} but hold ${hold.holdId} holds ${hold.amount}`);
        this.unearmark(hold.earmarks, fail);
        hold.status = 'released';
        break;
      }
      case 'refund':
        this.applyRefund(entry, seq, fail);
        break;
      case 'expire': {
        const bucket = this.bucketOf(entry.bucketId, fail);
        if (bucket.spec.kind !== entry.kind) fail(`expiry names kind ${entry.kind}, bucket is ${bucket.spec.kind}`);
        if (bucket.spec.expiresAt === null || entry.at < bucket.spec.expiresAt) fail(`bucket ${entry.bucketId} is not expired yet`);
        if (entry.amount > bucket.remaining - bucket.held) fail(`expires ${entry.amount} but bucket ${entry.bucketId} has ${bucket.remaining - bucket.held} unheld`);
        bucket.remaining -= entry.amount;
        break;
      }
      case 'reversal':
        this.applyReversal(entry, fail);
        break;
      case 'reserve':
        this.applyReserve(entry, fail);
        break;
      case 'settle':
        this.applySettle(entry, fail);
        break;
      case 'unreserve': {
        const reserve = this.reserves.get(entry.allowanceId);
        if (!reserve || reserve.status !== 'open') return fail(`allowance ${entry.allowanceId} is not open`);
        if (entry.amount !== reserve.amount - reserve.settled) fail(`unreserve of ${entry.amount}, allowance has ${reserve.amount - reserve.settled} left`);
        this.unearmark(reserve.earmarks, fail);
        reserve.status = 'closed';
        break;
      }
      case 'rejection':
        break;
    }
    this.seq = seq;
    this.lastAt = entry.at;
  }

  /** The wallet as it stands at `now` (ISO timestamp): expiry is applied by time. */
  view(now: string): WalletState {
    const balances: Record<string, KindBalance> = {};
    const balanceOf = (kind: string): KindBalance =>
      (balances[kind] ??= { balance: 0, held: 0, reserved: 0, available: 0, debt: 0 });

    const buckets: BucketView[] = [];
    for (const row of this.buckets.values()) {
      const { spec } = row;
      const live = spec.effectiveAt <= now && (spec.expiresAt === null || now < spec.expiresAt);
      const free = live ? row.remaining - row.held : 0;
      buckets.push({
        ...spec,
        createdSeq: row.createdSeq,
        remaining: row.remaining,
        held: row.held,
        free,
        live,
      });
      const b = balanceOf(spec.kind);
      // Credits earmarked by open holds stay owned even if their bucket expires meanwhile.
      b.balance += live ? row.remaining : row.held;
      b.available += free;
    }
    for (const hold of this.holds.values()) if (hold.status === 'open') balanceOf(hold.kind).held += hold.amount;
    for (const r of this.reserves.values()) if (r.status === 'open') balanceOf(r.kind).reserved += r.amount - r.settled;
    for (const [kind, owed] of this.debt) {
      const b = balanceOf(kind);
      b.debt = owed;
      b.balance -= owed;
      b.available -= owed;
    }

    return {
      accountId: this.accountId,
      seq: this.seq,
      now,
      balances,
      buckets,
      holds: new Map([...this.holds].map(([id, h]) => [id, toHoldView(h)])),
      reserves: new Map(
        [...this.reserves].map(([id, r]) => [
          id,
          { ...r, counters: new Map(r.counters), earmarks: [...r.earmarks].map(([bucketId, amount]) => ({ bucketId, amount })) },
        ]),
      ),
      refundedItems: new Set(this.refundedItems),
      reversedPurchases: new Set(this.reversedPurchases),
      payments: new Map(
        [...this.payments].map(([id, p]) => [id, { kind: p.kind, splits: p.splits, refunded: new Map(p.refunded), refundedTotal: p.refundedTotal }]),
      ),
      purchases: new Map([...this.purchases].map(([id, b]) => [id, [...b]])),
    };
  }

  private addBucket(spec: BucketSpec, seq: number, fail: (m: string) => never): void {
    if (this.buckets.has(spec.bucketId)) fail(`bucket ${spec.bucketId} already exists`);
    if (spec.expiresAt !== null && spec.expiresAt <= spec.effectiveAt) fail(`bucket ${spec.bucketId} expires before it starts`);
    this.buckets.set(spec.bucketId, { spec, createdSeq: seq, remaining: spec.amount, held: 0 });
  }

  private bucketOf(id: string, fail: (m: string) => never): BucketRow {
    return this.buckets.get(id) ?? fail(`unknown bucket ${id}`);
  }

  /** Splits must sum to the amount, name distinct live buckets of the kind, and fit their free credits. */
  private checkSplits(splits: readonly Split[], amount: number, kind: string, at: string, fail: (m: string) => never): void {
    let sum = 0;
    const seen = new Set<string>();
    for (const s of splits) {
      if (seen.has(s.bucketId)) fail(`bucket ${s.bucketId} appears twice in one split`);
      seen.add(s.bucketId);
      const bucket = this.bucketOf(s.bucketId, fail);
      const { spec } = bucket;
      if (spec.kind !== kind) fail(`bucket ${s.bucketId} holds ${spec.kind}, not ${kind}`);
      if (at < spec.effectiveAt || (spec.expiresAt !== null && at >= spec.expiresAt)) fail(`bucket ${s.bucketId} is not live at ${at}`);
      if (s.amount > bucket.remaining - bucket.held) fail(`bucket ${s.bucketId} would go below zero`);
      sum += s.amount;
    }
    if (sum !== amount) fail(`splits sum to ${sum}, amount is ${amount}`);
  }

  private applyHold(entry: EntryOf<'hold'>, fail: (m: string) => never): void {
    if (this.holds.has(entry.holdId)) fail(`hold ${entry.holdId} already exists`);
    if (entry.expiresAt <= entry.at) fail(`hold ${entry.holdId} expires before it is made`);
    this.checkSplits(entry.splits, entry.amount, entry.kind, entry.at, fail);
    const earmarks = new Map<string, number>();
    for (const s of entry.splits) {
      this.bucketOf(s.bucketId, fail).held += s.amount;
      earmarks.set(s.bucketId, s.amount);
    }
    this.holds.set(entry.holdId, {
      holdId: entry.holdId,
      kind: entry.kind,
      amount: entry.amount,
      splits: entry.splits,
      earmarks,
      expiresAt: entry.expiresAt,
      purpose: entry.purpose,
      seq: entry.seq,
      operationId: entry.operationId,
      status: 'open',
      captured: 0,
    });
  }

  private openHold(holdId: string, fail: (m: string) => never): HoldRow {
    const hold = this.holds.get(holdId) ?? fail(`unknown hold ${holdId}`);
    if (hold.status !== 'open') fail(`hold ${holdId} is already ${hold.status}`);
    return hold;
  }

  private unearmark(earmarks: Map<string, number>, fail: (m: string) => never): void {
    for (const [bucketId, amount] of earmarks) {
      const bucket = this.bucketOf(bucketId, fail);
      bucket.held -= amount;
      if (bucket.held < 0) fail(`bucket ${bucketId} releases more than it held`);
    }
  }

  private applyCapture(entry: EntryOf<'capture'>, fail: (m: string) => never): void {
    const hold = this.openHold(entry.holdId, fail);
    if (entry.amount > hold.amount) fail(`captures ${entry.amount}, hold ${hold.holdId} holds ${hold.amount}`);
    let sum = 0;
    for (const s of entry.splits) {
      const earmarked = hold.earmarks.get(s.bucketId) ?? 0;
      if (s.amount > earmarked) fail(`captures ${s.amount} from bucket ${s.bucketId}, hold earmarks ${earmarked}`);
      sum += s.amount;
    }
    if (sum !== entry.amount) fail(`capture splits sum to ${sum}, amount is ${entry.amount}`);
    this.unearmark(hold.earmarks, fail);
    for (const s of entry.splits) this.bucketOf(s.bucketId, fail).remaining -= s.amount;
    hold.status = 'captured';
    hold.captured = entry.amount;
    if (entry.amount > 0) this.payments.set(hold.holdId, newPayment(hold.kind, entry.splits));
  }

  private applyRefund(entry: EntryOf<'refund'>, seq: number, fail: (m: string) => never): void {
    if (this.refundedItems.has(entry.itemId)) fail(`item ${entry.itemId} is refunded twice`);
    const payment = this.payments.get(entry.paidBy) ?? fail(`nothing was paid by ${entry.paidBy}`);
    if (payment.kind !== entry.kind) fail(`refund in ${entry.kind}, payment was in ${payment.kind}`);
    let sum = 0;
    for (const s of entry.splits) {
      const paid = payment.splits.find((p) => p.bucketId === s.bucketId)?.amount ?? 0;
      const already = payment.refunded.get(s.bucketId) ?? 0;
      if (s.amount > paid - already) fail(`refunds ${s.amount} to bucket ${s.bucketId}, which paid ${paid} and got ${already} back`);
      const bucket = this.bucketOf(s.bucketId, fail);
      bucket.remaining += s.amount;
      payment.refunded.set(s.bucketId, already + s.amount);
      sum += s.amount;
    }
    if (entry.newBucket) {
      if (entry.newBucket.source !== 'refund' || entry.newBucket.kind !== entry.kind) fail('refund bucket must be a refund of the same kind');
      this.addBucket(entry.newBucket, seq, fail);
      sum += entry.newBucket.amount;
    }
    if (sum !== entry.amount) fail(`refund parts sum to ${sum}, amount is ${entry.amount}`);
    const paidTotal = payment.splits.reduce((t, p) => t + p.amount, 0);
    if (payment.refundedTotal + entry.amount > paidTotal) fail(`refunds would exceed the ${paidTotal} paid by ${entry.paidBy}`);
    payment.refundedTotal += entry.amount;
    this.refundedItems.add(entry.itemId);
  }

  private applyReversal(entry: EntryOf<'reversal'>, fail: (m: string) => never): void {
    const bucketIds = this.purchases.get(entry.purchaseId) ?? fail(`unknown purchase ${entry.purchaseId}`);
    const reversalKey = `${entry.purchaseId}/${entry.kind}`;
    if (this.reversedPurchases.has(reversalKey)) fail(`purchase ${entry.purchaseId} is reversed twice`);
    let granted = 0;
    for (const id of bucketIds) {
      const bucket = this.bucketOf(id, fail);
      if (bucket.spec.kind === entry.kind) granted += bucket.spec.amount;
    }
    if (entry.amount !== granted) fail(`reversal of ${entry.amount}, purchase granted ${granted}`);
    let taken = 0;
    for (const s of entry.splits) {
      if (!bucketIds.includes(s.bucketId)) fail(`bucket ${s.bucketId} is not part of purchase ${entry.purchaseId}`);
      const bucket = this.bucketOf(s.bucketId, fail);
      if (s.amount > bucket.remaining - bucket.held) fail(`bucket ${s.bucketId} would go below zero`);
      bucket.remaining -= s.amount;
      taken += s.amount;
    }
    if (taken + entry.shortfall !== entry.amount) fail(`reversal takes ${taken} + owes ${entry.shortfall}, amount is ${entry.amount}`);
    if (entry.shortfall > 0) this.debt.set(entry.kind, (this.debt.get(entry.kind) ?? 0) + entry.shortfall);
    this.reversedPurchases.add(reversalKey);
  }

  private applyReserve(entry: EntryOf<'reserve'>, fail: (m: string) => never): void {
    if (this.reserves.has(entry.allowanceId)) fail(`allowance ${entry.allowanceId} already exists`);
    if (entry.expiresAt <= entry.at) fail(`allowance ${entry.allowanceId} expires before it is made`);
    this.checkSplits(entry.splits, entry.amount, entry.kind, entry.at, fail);
    const earmarks = new Map<string, number>();
    for (const s of entry.splits) {
      this.bucketOf(s.bucketId, fail).held += s.amount;
      earmarks.set(s.bucketId, s.amount);
    }
    this.reserves.set(entry.allowanceId, {
      allowanceId: entry.allowanceId,
      deviceId: entry.deviceId,
      devicePublicKey: entry.devicePublicKey,
      kind: entry.kind,
      amount: entry.amount,
      settled: 0,
      earmarks,
      expiresAt: entry.expiresAt,
      status: 'open',
      counters: new Map(),
    });
  }

  private applySettle(entry: EntryOf<'settle'>, fail: (m: string) => never): void {
    const reserve = this.reserves.get(entry.allowanceId);
    if (!reserve || reserve.status !== 'open') return fail(`allowance ${entry.allowanceId} is not open`);
    let voucherSum = 0;
    for (const v of entry.vouchers) {
      if (v.allowanceId !== entry.allowanceId) fail(`voucher for allowance ${v.allowanceId} settled against ${entry.allowanceId}`);
      if (reserve.counters.has(v.counter)) fail(`voucher counter ${v.counter} settles twice`);
      reserve.counters.set(v.counter, v.itemId);
      voucherSum += v.amount;
    }
    if (voucherSum !== entry.amount) fail(`vouchers sum to ${voucherSum}, amount is ${entry.amount}`);
    if (reserve.settled + entry.amount > reserve.amount) fail(`allowance ${entry.allowanceId} would be overspent`);
    let sum = 0;
    for (const s of entry.splits) {
      const earmarked = reserve.earmarks.get(s.bucketId) ?? 0;
      if (s.amount > earmarked) fail(`settles ${s.amount} from bucket ${s.bucketId}, allowance earmarks ${earmarked}`);
      reserve.earmarks.set(s.bucketId, earmarked - s.amount);
      const bucket = this.bucketOf(s.bucketId, fail);
      bucket.held -= s.amount;
      bucket.remaining -= s.amount;
      sum += s.amount;
    }
    if (sum !== entry.amount) fail(`settle splits sum to ${sum}, amount is ${entry.amount}`);
    reserve.settled += entry.amount;
  }
}

function toHoldView(h: HoldRow): HoldView {
  return {
    holdId: h.holdId,
    kind: h.kind,
    amount: h.amount,
    splits: h.splits,
    expiresAt: h.expiresAt,
    purpose: h.purpose,
    seq: h.seq,
    operationId: h.operationId,
    status: h.status,
    captured: h.captured,
  };
}

/** Folds a whole chain (from seq 1) into the wallet at `now`. */
export function fold(entries: Iterable<EntryBody>, now: string): WalletState {
  const f = new WalletFold();
  for (const e of entries) f.apply(e);
  return f.view(now);
}
