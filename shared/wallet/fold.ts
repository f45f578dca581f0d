import type { BucketSpec, EntryBody, EntryOf, Split } from '../ledger/entry';
import type {
  BucketView,
  HoldView,
  KindBalance,
  PaymentView,
  ReserveView,
  WalletState,
} from './types';
import type { FoldHistory, FoldSnapshot, HoldJson, PaymentJson } from './fold-snapshot';

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

/**
 * Thrown by a fold restored without its history (`WalletFold.fromSnapshot` with the core only,
 * docs/architecture.md §9) when an entry or a lookup names a resolved hold or a payment that only
 * the history holds. Nothing was changed: the caller attaches the history
 * (`WalletFold.attachHistory`) or loads the whole fold, and tries again.
 */
export class FoldHistoryNeeded extends Error {
  constructor(what: string) {
    super(`the fold's history is needed: ${what}`);
    this.name = 'FoldHistoryNeeded';
  }
}

export interface BucketRow {
  spec: BucketSpec;
  createdSeq: number;
  remaining: number;
  held: number;
  /** Credits this bucket lost to expiry entries. */
  expired: number;
}

export interface HoldRow extends Omit<HoldView, 'splits'> {
  /** What the hold earmarks per bucket: its splits (distinct buckets, checked when made). */
  splits: Split[];
  /** What its capture paid (kept here, not in `payments`: one Map insert fewer per job). */
  payment: PaymentRow | null;
}

interface PaymentRow {
  kind: string;
  splits: Split[];
  /** Already refunded, per bucket (replaced, never mutated: most payments share NO_REFUNDS). */
  refunded: ReadonlyMap<string, number>;
  refundedTotal: number;
  /** When a spend paid (a capture's payment lives on its hold): what `prune` ages by. */
  at?: string;
}

// Most payments are never refunded: they share one empty map instead of allocating their own.
const NO_REFUNDS: ReadonlyMap<string, number> = new Map();

const newPayment = (kind: string, splits: Split[]): PaymentRow => ({
  kind,
  splits,
  refunded: NO_REFUNDS,
  refundedTotal: 0,
});

export interface ReserveRow extends Omit<ReserveView, 'earmarks'> {
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
  private lastAt_ = '';
  private readonly buckets = new Map<string, BucketRow>();
  private readonly holds = new Map<string, HoldRow>();
  // Indexes of what is live, so view() costs O(live state), not O(history).
  private readonly openHoldIds = new Set<string>();
  private readonly openReserveIds = new Set<string>();
  private readonly nonEmptyBuckets = new Set<string>();
  private readonly kinds = new Set<string>();
  private readonly reserves = new Map<string, ReserveRow>();
  private readonly debt = new Map<string, number>();
  private readonly purchases = new Map<string, string[]>();
  private readonly refundedItems = new Set<string>();
  private readonly reversedPurchases = new Set<string>();
  /** Purchases (per kind) partly reversed so far: what was reversed and forfeited. */
  private readonly partlyReversed = new Map<string, { amount: number; forfeited: number }>();
  private readonly payments = new Map<string, PaymentRow>();
  /**
   * Restored without its history: the ids of the resolved holds that only the history holds
   * (payments there have no index: any payment not in memory needs the history). null when the
   * fold holds everything.
   */
  private historyHoldIds: Set<string> | null = null;

  /** False while the fold was restored without its history (docs/architecture.md §9). */
  get complete(): boolean {
    return this.historyHoldIds === null;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The time of the last entry applied ('' before the first). */
  get lastAt(): string {
    return this.lastAt_;
  }

  apply(entry: EntryBody): void {
    const { seq } = entry;
    const fail = this.failAt(seq);
    if (seq !== this.seq + 1) fail(`out of order: expected seq ${this.seq + 1}`);
    if (this.accountId !== null && entry.accountId !== this.accountId)
      fail(`belongs to account ${entry.accountId}, not ${this.accountId}`);
    if (entry.at < this.lastAt_) fail(`time goes backwards (${entry.at} < ${this.lastAt_})`);

    switch (entry.type) {
      case 'grant':
        this.checkNewBucket(entry.bucket, fail);
        this.addBucket(entry.bucket, seq);
        break;
      case 'purchase':
        if (this.purchases.has(entry.purchaseId))
          fail(`purchase ${entry.purchaseId} is credited twice`);
        // Every bucket is checked before any is added: a refused entry changes nothing.
        for (let i = 0; i < entry.buckets.length; i++) {
          const bucket = entry.buckets[i];
          if (!bucket) continue;
          this.checkNewBucket(bucket, fail);
          if (entry.buckets.slice(0, i).some((b) => b.bucketId === bucket.bucketId))
            fail(`bucket ${bucket.bucketId} appears twice in one purchase`);
        }
        for (const bucket of entry.buckets) this.addBucket(bucket, seq);
        this.purchases.set(
          entry.purchaseId,
          entry.buckets.map((b) => b.bucketId),
        );
        break;
      case 'spend':
        this.checkSplits(entry.splits, entry.amount, entry.kind, entry.at, fail);
        for (const s of entry.splits) this.bucketOf(s.bucketId, fail).remaining -= s.amount;
        this.payments.set(entry.operationId, {
          ...newPayment(entry.kind, entry.splits),
          at: entry.at,
        });
        break;
      case 'hold':
        this.applyHold(entry, fail);
        break;
      case 'capture':
        this.applyCapture(entry, fail);
        break;
      case 'release': {
        const hold = this.openHold(entry.holdId, fail);
        if (entry.amount !== hold.amount)
          fail(`release of ${entry.amount} but hold ${hold.holdId} holds ${hold.amount}`);
        this.checkUnearmark(
          hold.splits.map((x) => [x.bucketId, x.amount]),
          fail,
        );
        this.unearmarkSplits(hold.splits, fail);
        hold.status = 'released';
        this.openHoldIds.delete(hold.holdId);
        break;
      }
      case 'refund':
        this.applyRefund(entry, seq, fail);
        break;
      case 'expire': {
        const bucket = this.bucketOf(entry.bucketId, fail);
        if (bucket.spec.kind !== entry.kind)
          fail(`expiry names kind ${entry.kind}, bucket is ${bucket.spec.kind}`);
        if (bucket.spec.expiresAt === null || entry.at < bucket.spec.expiresAt)
          fail(`bucket ${entry.bucketId} is not expired yet`);
        if (entry.amount > bucket.remaining - bucket.held)
          fail(
            `expires ${entry.amount} but bucket ${entry.bucketId} has ${bucket.remaining - bucket.held} unheld`,
          );
        bucket.remaining -= entry.amount;
        bucket.expired += entry.amount;
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
        if (!reserve || reserve.status !== 'open')
          return fail(`allowance ${entry.allowanceId} is not open`);
        if (entry.amount !== reserve.amount - reserve.settled)
          fail(
            `unreserve of ${entry.amount}, allowance has ${reserve.amount - reserve.settled} left`,
          );
        this.checkUnearmark(reserve.earmarks, fail);
        this.unearmark(reserve.earmarks, fail);
        reserve.status = 'closed';
        this.openReserveIds.delete(reserve.allowanceId);
        break;
      }
      case 'rejection':
      case 'budget': // a team budget moves no credits (docs/architecture.md §14)
        break;
      case 'adjust-expiry':
        this.applyExpiryAdjustment(entry, fail);
        break;
      case 'rollover':
        this.applyRollover(entry, seq, fail);
        break;
    }
    // Reached only when every check passed (docs/architecture.md §2: a refused entry changes
    // nothing): each case above checks all it needs before its first change.
    this.accountId ??= entry.accountId;
    this.seq = seq;
    this.lastAt_ = entry.at;
  }

  // One throwing function for the fold's life, reading the seq being applied (apply is the hot
  // path: a closure per entry would be 100k allocations per 100k entries).
  private failSeq = -1;
  private readonly failFn = (message: string): never => {
    throw new LedgerInvariantError(this.failSeq, message);
  };
  private failAt(seq: number): (message: string) => never {
    this.failSeq = seq;
    return this.failFn;
  }

  /**
   * Forgets what no later entry or request can name any more (docs/architecture.md §9): the
   * rows of holds resolved and expired before `holdsBefore` (a capture's payment moves to the
   * payments, dated by the hold's expiry), payments dated before `paymentsBefore` (their refund
   * window has closed), and buckets that are empty, expired before `paymentsBefore` and belong to
   * no purchase. Balances and every open hold, reserve and live bucket stay exactly as they are.
   * Only the server prunes: a chain folded by a verifier keeps everything.
   */
  prune(paymentsBefore: string, holdsBefore: string): void {
    for (const [id, h] of this.holds) {
      if (h.status === 'open' || h.expiresAt >= holdsBefore) continue;
      if (h.payment) this.payments.set(id, { ...h.payment, at: h.expiresAt });
      this.holds.delete(id);
    }
    for (const [id, p] of this.payments)
      if (p.at !== undefined && p.at < paymentsBefore) this.payments.delete(id);
    let inPurchases: Set<string> | null = null;
    for (const [id, b] of this.buckets) {
      if (b.remaining !== 0 || b.held !== 0 || b.spec.expiresAt === null) continue;
      if (b.spec.expiresAt >= paymentsBefore) continue;
      inPurchases ??= new Set([...this.purchases.values()].flat());
      if (inPurchases.has(id)) continue;
      this.buckets.delete(id);
      this.nonEmptyBuckets.delete(id);
    }
  }

  /** Rows held in memory: what the server's fold cache budgets (docs/architecture.md §9). */
  get weight(): number {
    return (
      1 +
      this.buckets.size +
      this.holds.size +
      this.payments.size +
      this.reserves.size +
      this.purchases.size +
      this.refundedItems.size +
      (this.historyHoldIds?.size ?? 0)
    );
  }

  /**
   * Everything the fold knows, as plain JSON in two parts (restored by `WalletFold.fromSnapshot`,
   * docs/architecture.md §9): the core, which decides the next write (balances, buckets, open
   * holds and reserves, purchases, refunded items), and the history, the resolved holds and what
   * payments paid, which only a refund or a late capture or release of a resolved hold reads.
   */
  toSnapshot(): { core: FoldSnapshot; history: FoldHistory } {
    if (this.historyHoldIds !== null)
      throw new FoldHistoryNeeded('a snapshot is made from the whole fold');
    const openHolds: HoldJson[] = [];
    const resolved: HoldJson[] = [];
    for (const h of this.holds.values())
      (h.status === 'open' ? openHolds : resolved).push({
        ...h,
        payment: h.payment && paymentJson(h.payment),
      });
    return {
      core: {
        v: 2,
        accountId: this.accountId,
        seq: this.seq,
        lastAt: this.lastAt_,
        kinds: [...this.kinds],
        buckets: [...this.buckets.values()],
        openHolds,
        historyHoldIds: resolved.map((h) => h.holdId),
        reserves: [...this.reserves.values()].map((r) => ({
          ...r,
          earmarks: [...r.earmarks],
          counters: [...r.counters],
        })),
        debt: [...this.debt],
        purchases: [...this.purchases],
        refundedItems: [...this.refundedItems],
        reversedPurchases: [...this.reversedPurchases],
        partlyReversed: [...this.partlyReversed],
      },
      history: {
        holds: resolved,
        payments: [...this.payments].map(([id, p]) => [id, paymentJson(p)]),
      },
    };
  }

  /**
   * A fold from a snapshot this code wrote; without `history`, a fold that throws
   * `FoldHistoryNeeded` where it would need it. The caller has checked that the snapshot is the
   * one stored for its chain position (docs/architecture.md §9); nothing here re-checks rules.
   */
  static fromSnapshot(s: FoldSnapshot, history?: FoldHistory): WalletFold {
    const f = new WalletFold();
    f.accountId = s.accountId;
    f.seq = s.seq;
    f.lastAt_ = s.lastAt;
    for (const k of s.kinds) f.kinds.add(k);
    for (const b of s.buckets) {
      f.buckets.set(b.spec.bucketId, b);
      if (b.remaining !== 0) f.nonEmptyBuckets.add(b.spec.bucketId);
    }
    for (const h of s.openHolds) {
      if (h.status !== 'open') throw new Error(`snapshot lists hold ${h.holdId} as open`);
      f.holds.set(h.holdId, { ...h, payment: h.payment && paymentRow(h.payment) });
      f.openHoldIds.add(h.holdId);
    }
    for (const r of s.reserves) {
      f.reserves.set(r.allowanceId, {
        ...r,
        earmarks: new Map(r.earmarks),
        counters: new Map(r.counters),
      });
      if (r.status === 'open') f.openReserveIds.add(r.allowanceId);
    }
    for (const [kind, owed] of s.debt) f.debt.set(kind, owed);
    for (const [id, buckets] of s.purchases) f.purchases.set(id, buckets);
    for (const id of s.refundedItems) f.refundedItems.add(id);
    for (const id of s.reversedPurchases) f.reversedPurchases.add(id);
    for (const [key, v] of s.partlyReversed) f.partlyReversed.set(key, v);
    f.historyHoldIds = new Set(s.historyHoldIds);
    if (history) f.attachHistory(history);
    return f;
  }

  /**
   * Adds the history of the snapshot this fold was restored from. The fold may have folded
   * entries since: none of them touched the history (that would have thrown), so what is in
   * memory is newer and stays.
   */
  attachHistory(history: FoldHistory): void {
    const ids = this.historyHoldIds;
    if (ids === null) throw new Error('the fold already holds its history');
    if (history.holds.length !== ids.size)
      throw new Error(`history has ${history.holds.length} holds, the core names ${ids.size}`);
    for (const h of history.holds)
      if (!ids.has(h.holdId) || h.status === 'open')
        throw new Error(`history hold ${h.holdId} is not a resolved hold the core names`);
    for (const h of history.holds)
      if (!this.holds.has(h.holdId))
        this.holds.set(h.holdId, { ...h, payment: h.payment && paymentRow(h.payment) });
    for (const [id, p] of history.payments)
      if (!this.payments.has(id)) this.payments.set(id, paymentRow(p));
    this.historyHoldIds = null;
  }

  /** The wallet as it stands at `now` (ISO timestamp): expiry is applied by time. */
  view(now: string): WalletState {
    const balances: Record<string, KindBalance> = {};
    const balanceOf = (kind: string): KindBalance =>
      (balances[kind] ??= { balance: 0, held: 0, reserved: 0, available: 0, debt: 0 });

    for (const kind of this.kinds) balanceOf(kind); // a kind spent to zero still shows 0
    const buckets: BucketView[] = [];
    for (const id of this.nonEmptyBuckets) {
      const row = indexed(this.buckets, id);
      if (row.remaining === 0) {
        this.nonEmptyBuckets.delete(id); // lazily pruned: cheaper than tracking every decrement
        continue;
      }
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
    const openHolds = new Map<string, HoldView>();
    for (const id of this.openHoldIds) {
      const h = indexed(this.holds, id);
      balanceOf(h.kind).held += h.amount;
      openHolds.set(id, toHoldView(h));
    }
    const openReserves = new Map<string, ReserveView>();
    for (const id of this.openReserveIds) {
      const r = indexed(this.reserves, id);
      balanceOf(r.kind).reserved += r.amount - r.settled;
      openReserves.set(id, toReserveView(r));
    }
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
      openHolds,
      openReserves,
    };
  }

  /** Any hold ever made, open or resolved. */
  hold(holdId: string): HoldView | undefined {
    const h = this.holds.get(holdId);
    if (h) return toHoldView(h);
    this.needHistoryFor(holdId);
    return undefined;
  }

  /** Throws `FoldHistoryNeeded` when the hold is one only the unloaded history holds. */
  private needHistoryFor(holdId: string): void {
    if (this.historyHoldIds?.has(holdId)) throw new FoldHistoryNeeded(`hold ${holdId}`);
  }

  reserve(allowanceId: string): ReserveView | undefined {
    const r = this.reserves.get(allowanceId);
    return r ? toReserveView(r) : undefined;
  }

  /** What a spend (by operation id), capture (by hold id) paid, and what came back. */
  payment(paidBy: string): PaymentView | undefined {
    return this.paymentRow(paidBy);
  }

  private paymentRow(paidBy: string): PaymentRow | undefined {
    const paid = this.payments.get(paidBy);
    if (paid) return paid;
    // The history's payments come first in this lookup, as they do in a whole fold.
    if (this.historyHoldIds !== null) throw new FoldHistoryNeeded(`payment ${paidBy}`);
    return this.holds.get(paidBy)?.payment ?? undefined;
  }

  /** A bucket's spec as folded so far (its expiry as adjusted), or undefined if unknown. */
  bucketSpec(bucketId: string): BucketSpec | undefined {
    return this.buckets.get(bucketId)?.spec;
  }

  /** Whether a bucket exists and may be spent from at `now` (even if it is empty). */
  isBucketLive(bucketId: string, now: string): boolean {
    const spec = this.buckets.get(bucketId)?.spec;
    return (
      spec !== undefined &&
      spec.effectiveAt <= now &&
      (spec.expiresAt === null || now < spec.expiresAt)
    );
  }

  isRefunded(itemId: string): boolean {
    return this.refundedItems.has(itemId);
  }

  /** The buckets a purchase created, as they stand now; undefined for an unknown purchase. */
  purchaseBuckets(
    purchaseId: string,
  ): Array<BucketSpec & { remaining: number; held: number; expired: number }> | undefined {
    const ids = this.purchases.get(purchaseId);
    if (!ids) return undefined;
    return ids.map((id) => {
      const row = indexed(this.buckets, id);
      return { ...row.spec, remaining: row.remaining, held: row.held, expired: row.expired };
    });
  }

  /** Whether a purchase's credits of `kind` are reversed in full. */
  isReversed(purchaseId: string, kind: string): boolean {
    return this.reversedPurchases.has(`${purchaseId}/${kind}`);
  }

  /** What partial reversals of a purchase took so far (a partial refund, §7). */
  reversedSoFar(purchaseId: string, kind: string): { amount: number; forfeited: number } {
    return this.partlyReversed.get(`${purchaseId}/${kind}`) ?? { amount: 0, forfeited: 0 };
  }

  /** What a new bucket must satisfy; checked before anything changes. */
  private checkNewBucket(spec: BucketSpec, fail: (m: string) => never): void {
    if (this.buckets.has(spec.bucketId)) fail(`bucket ${spec.bucketId} already exists`);
    if (spec.expiresAt !== null && spec.expiresAt <= spec.effectiveAt)
      fail(`bucket ${spec.bucketId} expires before it starts`);
  }

  /** Adds a bucket checked by checkNewBucket. */
  private addBucket(spec: BucketSpec, seq: number): void {
    this.buckets.set(spec.bucketId, {
      spec,
      createdSeq: seq,
      remaining: spec.amount,
      held: 0,
      expired: 0,
    });
    this.nonEmptyBuckets.add(spec.bucketId);
    this.kinds.add(spec.kind);
  }

  private bucketOf(id: string, fail: (m: string) => never): BucketRow {
    return this.buckets.get(id) ?? fail(`unknown bucket ${id}`);
  }

  /** Splits must sum to the amount, name distinct live buckets of the kind, and fit their free credits. */
  private checkSplits(
    splits: readonly Split[],
    amount: number,
    kind: string,
    at: string,
    fail: (m: string) => never,
  ): void {
    let sum = 0;
    // Splits name one to a few buckets: a pairwise check beats allocating a Set per entry.
    const seen = splits.length > 8 ? new Set<string>() : null;
    for (let i = 0; i < splits.length; i++) {
      const s = splits[i];
      if (s === undefined) continue;
      if (seen) {
        if (seen.has(s.bucketId)) fail(`bucket ${s.bucketId} appears twice in one split`);
        seen.add(s.bucketId);
      } else {
        for (let j = 0; j < i; j++)
          if (splits[j]?.bucketId === s.bucketId)
            fail(`bucket ${s.bucketId} appears twice in one split`);
      }
      const bucket = this.bucketOf(s.bucketId, fail);
      const { spec } = bucket;
      if (spec.kind !== kind) fail(`bucket ${s.bucketId} holds ${spec.kind}, not ${kind}`);
      if (at < spec.effectiveAt || (spec.expiresAt !== null && at >= spec.expiresAt))
        fail(`bucket ${s.bucketId} is not live at ${at}`);
      if (s.amount > bucket.remaining - bucket.held)
        fail(`bucket ${s.bucketId} would go below zero`);
      sum += s.amount;
    }
    if (sum !== amount) fail(`splits sum to ${sum}, amount is ${amount}`);
  }

  /** A renewal's rollover (docs/architecture.md §2): plan credits moved or ended, all checked first. */
  private applyRollover(entry: EntryOf<'rollover'>, seq: number, fail: (m: string) => never): void {
    const taken = new Map<string, number>();
    const take = (list: readonly Split[], what: string): number => {
      let sum = 0;
      const seen = new Set<string>();
      for (const s of list) {
        if (seen.has(s.bucketId)) fail(`bucket ${s.bucketId} appears twice in one split`);
        seen.add(s.bucketId);
        const bucket = this.bucketOf(s.bucketId, fail);
        const { spec } = bucket;
        if (spec.source !== 'plan') fail(`${what} bucket ${s.bucketId} is not a plan bucket`);
        if (spec.kind !== entry.kind)
          fail(`bucket ${s.bucketId} holds ${spec.kind}, not ${entry.kind}`);
        if (entry.at < spec.effectiveAt || (spec.expiresAt !== null && entry.at >= spec.expiresAt))
          fail(`bucket ${s.bucketId} is not live at ${entry.at}`);
        const total = (taken.get(s.bucketId) ?? 0) + s.amount;
        if (total > bucket.remaining - bucket.held)
          fail(`bucket ${s.bucketId} would go below zero`);
        taken.set(s.bucketId, total);
        sum += s.amount;
      }
      return sum;
    };
    const moved = take(entry.splits, 'rolled-over');
    take(entry.ended, 'ended');
    if (moved !== entry.amount) fail(`splits sum to ${moved}, amount is ${entry.amount}`);
    if (entry.amount > entry.cap)
      fail(`rolls over ${entry.amount}, more than the cap ${entry.cap}`);
    const nb = entry.bucket;
    if ((nb === null) !== (entry.amount === 0))
      fail('a rollover has a bucket exactly when it moves credits');
    if (nb) {
      if (nb.source !== 'rollover') fail(`the rollover bucket's source is ${nb.source}`);
      if (nb.kind !== entry.kind || nb.amount !== entry.amount)
        fail(
          `the rollover bucket holds ${nb.amount} ${nb.kind}, not ${entry.amount} ${entry.kind}`,
        );
      this.checkNewBucket(nb, fail);
    }
    for (const s of entry.splits) this.bucketOf(s.bucketId, fail).remaining -= s.amount;
    for (const s of entry.ended) {
      const bucket = this.bucketOf(s.bucketId, fail);
      bucket.remaining -= s.amount;
      bucket.expired += s.amount;
    }
    if (nb) this.addBucket(nb, seq);
  }

  private applyHold(entry: EntryOf<'hold'>, fail: (m: string) => never): void {
    if (this.holds.has(entry.holdId) || this.historyHoldIds?.has(entry.holdId))
      fail(`hold ${entry.holdId} already exists`);
    if (entry.expiresAt <= entry.at) fail(`hold ${entry.holdId} expires before it is made`);
    this.checkSplits(entry.splits, entry.amount, entry.kind, entry.at, fail);
    // A hold usually splits over one or two buckets: its splits are its earmarks (no Map).
    for (const s of entry.splits) this.bucketOf(s.bucketId, fail).held += s.amount;
    this.openHoldIds.add(entry.holdId);
    this.holds.set(entry.holdId, {
      holdId: entry.holdId,
      kind: entry.kind,
      amount: entry.amount,
      splits: entry.splits,
      expiresAt: entry.expiresAt,
      purpose: entry.purpose,
      seq: entry.seq,
      operationId: entry.operationId,
      status: 'open',
      captured: 0,
      payment: null,
    });
  }

  private openHold(holdId: string, fail: (m: string) => never): HoldRow {
    const hold = this.holds.get(holdId);
    if (!hold) {
      this.needHistoryFor(holdId);
      return fail(`unknown hold ${holdId}`);
    }
    if (hold.status !== 'open') fail(`hold ${holdId} is already ${hold.status}`);
    return hold;
  }

  /** Earmarks can be given back: their buckets exist and hold at least that much. */
  private checkUnearmark(
    earmarks: Iterable<readonly [string, number]>,
    fail: (m: string) => never,
  ): void {
    const total = new Map<string, number>();
    for (const [bucketId, amount] of earmarks)
      total.set(bucketId, (total.get(bucketId) ?? 0) + amount);
    for (const [bucketId, amount] of total)
      if (this.bucketOf(bucketId, fail).held < amount)
        fail(`bucket ${bucketId} releases more than it held`);
  }

  private unearmark(earmarks: Map<string, number>, fail: (m: string) => never): void {
    for (const [bucketId, amount] of earmarks) {
      const bucket = this.bucketOf(bucketId, fail);
      bucket.held -= amount;
      if (bucket.held < 0) fail(`bucket ${bucketId} releases more than it held`);
    }
  }

  private unearmarkSplits(splits: readonly Split[], fail: (m: string) => never): void {
    for (const s of splits) {
      const bucket = this.bucketOf(s.bucketId, fail);
      bucket.held -= s.amount;
      if (bucket.held < 0) fail(`bucket ${s.bucketId} releases more than it held`);
    }
  }

  private applyCapture(entry: EntryOf<'capture'>, fail: (m: string) => never): void {
    const hold = this.openHold(entry.holdId, fail);
    if (entry.amount > hold.amount)
      fail(`captures ${entry.amount}, hold ${hold.holdId} holds ${hold.amount}`);
    let sum = 0;
    for (const s of entry.splits) {
      const earmarked = hold.splits.find((h) => h.bucketId === s.bucketId)?.amount ?? 0;
      if (s.amount > earmarked)
        fail(`captures ${s.amount} from bucket ${s.bucketId}, hold earmarks ${earmarked}`);
      sum += s.amount;
    }
    if (sum !== entry.amount) fail(`capture splits sum to ${sum}, amount is ${entry.amount}`);
    this.checkUnearmark(
      hold.splits.map((x) => [x.bucketId, x.amount]),
      fail,
    );
    this.unearmarkSplits(hold.splits, fail);
    for (const s of entry.splits) this.bucketOf(s.bucketId, fail).remaining -= s.amount;
    hold.status = 'captured';
    this.openHoldIds.delete(hold.holdId);
    hold.captured = entry.amount;
    if (entry.amount > 0) hold.payment = newPayment(hold.kind, entry.splits);
  }

  // Each apply* checks everything before it changes anything, so a refused entry leaves the
  // fold exactly as it was.
  private applyRefund(entry: EntryOf<'refund'>, seq: number, fail: (m: string) => never): void {
    if (this.refundedItems.has(entry.itemId)) fail(`item ${entry.itemId} is refunded twice`);
    const payment = this.paymentRow(entry.paidBy) ?? fail(`nothing was paid by ${entry.paidBy}`);
    if (payment.kind !== entry.kind)
      fail(`refund in ${entry.kind}, payment was in ${payment.kind}`);
    let sum = 0;
    const seen = new Set<string>();
    for (const s of entry.splits) {
      if (seen.has(s.bucketId)) fail(`bucket ${s.bucketId} appears twice in one refund`);
      seen.add(s.bucketId);
      const paid = payment.splits.find((p) => p.bucketId === s.bucketId)?.amount ?? 0;
      const already = payment.refunded.get(s.bucketId) ?? 0;
      if (s.amount > paid - already)
        fail(
          `refunds ${s.amount} to bucket ${s.bucketId}, which paid ${paid} and got ${already} back`,
        );
      this.bucketOf(s.bucketId, fail);
      sum += s.amount;
    }
    if (entry.newBucket) {
      const nb = entry.newBucket;
      if (nb.source !== 'refund' || nb.kind !== entry.kind)
        fail('refund bucket must be a refund of the same kind');
      this.checkNewBucket(nb, fail);
      sum += nb.amount;
    }
    if (sum !== entry.amount) fail(`refund parts sum to ${sum}, amount is ${entry.amount}`);
    const paidTotal = payment.splits.reduce((t, p) => t + p.amount, 0);
    if (payment.refundedTotal + entry.amount > paidTotal)
      fail(`refunds would exceed the ${paidTotal} paid by ${entry.paidBy}`);

    const refunded = new Map(payment.refunded);
    for (const s of entry.splits) {
      this.bucketOf(s.bucketId, fail).remaining += s.amount;
      this.nonEmptyBuckets.add(s.bucketId);
      refunded.set(s.bucketId, (refunded.get(s.bucketId) ?? 0) + s.amount);
    }
    payment.refunded = refunded;
    if (entry.newBucket) this.addBucket(entry.newBucket, seq);
    payment.refundedTotal += entry.amount;
    this.refundedItems.add(entry.itemId);
  }

  private applyReversal(entry: EntryOf<'reversal'>, fail: (m: string) => never): void {
    const bucketIds =
      this.purchases.get(entry.purchaseId) ?? fail(`unknown purchase ${entry.purchaseId}`);
    const reversalKey = `${entry.purchaseId}/${entry.kind}`;
    if (this.reversedPurchases.has(reversalKey))
      fail(`purchase ${entry.purchaseId} is reversed twice`);
    let granted = 0;
    let expired = 0;
    for (const id of bucketIds) {
      const bucket = this.bucketOf(id, fail);
      if (bucket.spec.kind === entry.kind) {
        granted += bucket.spec.amount;
        expired += bucket.expired;
      }
    }
    // Several partial reversals (partial refunds) may together take back what was granted.
    const before = this.reversedSoFar(entry.purchaseId, entry.kind);
    if (entry.amount > granted - before.amount)
      fail(
        `reversal of ${entry.amount}, purchase granted ${granted} and ${before.amount} is reversed already`,
      );
    if (entry.forfeited > expired - before.forfeited)
      fail(
        `reversal forfeits ${entry.forfeited}, only ${expired - before.forfeited} expired and not forfeited`,
      );
    let taken = 0;
    const seen = new Set<string>();
    for (const s of entry.splits) {
      if (seen.has(s.bucketId)) fail(`bucket ${s.bucketId} appears twice in one reversal`);
      seen.add(s.bucketId);
      if (!bucketIds.includes(s.bucketId))
        fail(`bucket ${s.bucketId} is not part of purchase ${entry.purchaseId}`);
      const bucket = this.bucketOf(s.bucketId, fail);
      if (s.amount > bucket.remaining - bucket.held)
        fail(`bucket ${s.bucketId} would go below zero`);
      taken += s.amount;
    }
    if (taken + entry.shortfall + entry.forfeited !== entry.amount) {
      fail(
        `reversal takes ${taken} + owes ${entry.shortfall} + forfeits ${entry.forfeited}, amount is ${entry.amount}`,
      );
    }

    for (const s of entry.splits) this.bucketOf(s.bucketId, fail).remaining -= s.amount;
    if (entry.shortfall > 0)
      this.debt.set(entry.kind, (this.debt.get(entry.kind) ?? 0) + entry.shortfall);
    const after = {
      amount: before.amount + entry.amount,
      forfeited: before.forfeited + entry.forfeited,
    };
    if (after.amount === granted) {
      this.reversedPurchases.add(reversalKey);
      this.partlyReversed.delete(reversalKey);
    } else this.partlyReversed.set(reversalKey, after);
  }

  /**
   * An operator's new expiry for a bucket that has not expired yet (docs/architecture.md §2,
   * operator controls): later or earlier, but never at or before the entry's own time or the
   * bucket's start, so no credits are revived or expired by the entry itself.
   */
  private applyExpiryAdjustment(entry: EntryOf<'adjust-expiry'>, fail: (m: string) => never): void {
    const bucket = this.bucketOf(entry.bucketId, fail);
    const { spec } = bucket;
    if (spec.kind !== entry.kind)
      fail(`expiry adjustment names kind ${entry.kind}, bucket is ${spec.kind}`);
    if (spec.expiresAt !== entry.previousExpiresAt)
      fail(
        `bucket ${entry.bucketId} expires at ${spec.expiresAt ?? 'never'}, not ${entry.previousExpiresAt ?? 'never'}`,
      );
    if (spec.expiresAt !== null && spec.expiresAt <= entry.at)
      fail(`bucket ${entry.bucketId} has expired already`);
    if (entry.expiresAt === spec.expiresAt)
      fail(`bucket ${entry.bucketId} already expires at ${spec.expiresAt ?? 'never'}`);
    if (entry.expiresAt !== null && entry.expiresAt <= entry.at)
      fail(`new expiry ${entry.expiresAt} is not after the adjustment`);
    if (entry.expiresAt !== null && entry.expiresAt <= spec.effectiveAt)
      fail(`new expiry ${entry.expiresAt} is not after the bucket starts`);
    // A new spec object: the old one is the granting entry's own body, shared with its readers.
    bucket.spec = { ...spec, expiresAt: entry.expiresAt };
  }

  private applyReserve(entry: EntryOf<'reserve'>, fail: (m: string) => never): void {
    if (this.reserves.has(entry.allowanceId)) fail(`allowance ${entry.allowanceId} already exists`);
    if (entry.expiresAt <= entry.at)
      fail(`allowance ${entry.allowanceId} expires before it is made`);
    this.checkSplits(entry.splits, entry.amount, entry.kind, entry.at, fail);
    const earmarks = new Map<string, number>();
    for (const s of entry.splits) {
      this.bucketOf(s.bucketId, fail).held += s.amount;
      earmarks.set(s.bucketId, s.amount);
    }
    this.openReserveIds.add(entry.allowanceId);
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
    if (!reserve || reserve.status !== 'open')
      return fail(`allowance ${entry.allowanceId} is not open`);
    let voucherSum = 0;
    const counters = new Set<number>();
    for (const v of entry.vouchers) {
      if (v.allowanceId !== entry.allowanceId)
        fail(`voucher for allowance ${v.allowanceId} settled against ${entry.allowanceId}`);
      if (reserve.counters.has(v.counter) || counters.has(v.counter))
        fail(`voucher counter ${v.counter} settles twice`);
      counters.add(v.counter);
      voucherSum += v.amount;
    }
    if (voucherSum !== entry.amount)
      fail(`vouchers sum to ${voucherSum}, amount is ${entry.amount}`);
    if (reserve.settled + entry.amount > reserve.amount)
      fail(`allowance ${entry.allowanceId} would be overspent`);
    let sum = 0;
    const seen = new Set<string>();
    for (const s of entry.splits) {
      if (seen.has(s.bucketId)) fail(`bucket ${s.bucketId} appears twice in one settlement`);
      seen.add(s.bucketId);
      const earmarked = reserve.earmarks.get(s.bucketId) ?? 0;
      if (s.amount > earmarked)
        fail(`settles ${s.amount} from bucket ${s.bucketId}, allowance earmarks ${earmarked}`);
      sum += s.amount;
    }
    if (sum !== entry.amount) fail(`settle splits sum to ${sum}, amount is ${entry.amount}`);

    for (const v of entry.vouchers) reserve.counters.set(v.counter, v.itemId);
    for (const s of entry.splits) {
      reserve.earmarks.set(s.bucketId, (reserve.earmarks.get(s.bucketId) ?? 0) - s.amount);
      const bucket = this.bucketOf(s.bucketId, fail);
      bucket.held -= s.amount;
      bucket.remaining -= s.amount;
    }
    reserve.settled += entry.amount;
  }
}

const paymentJson = (p: PaymentRow): PaymentJson => ({
  ...p,
  refunded: [...p.refunded],
});

const paymentRow = (p: PaymentJson): PaymentRow => ({
  ...p,
  refunded: p.refunded.length === 0 ? NO_REFUNDS : new Map(p.refunded),
});

/** An index names a row that must exist; if not, the fold itself is broken. */
function indexed<T>(map: ReadonlyMap<string, T>, id: string): T {
  const row = map.get(id);
  if (row === undefined) throw new Error(`wallet fold index is corrupt: ${id} is missing`);
  return row;
}

function toReserveView(r: ReserveRow): ReserveView {
  return {
    ...r,
    counters: new Map(r.counters),
    earmarks: [...r.earmarks]
      .filter(([, amount]) => amount > 0)
      .map(([bucketId, amount]) => ({ bucketId, amount })),
  };
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

/** Balance per kind: what a checkpoint signs. */
export function balancesOf(state: WalletState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, b] of Object.entries(state.balances)) out[kind] = b.balance;
  return out;
}

/** Folds a whole chain (from seq 1). */
export function foldAll(entries: Iterable<EntryBody>): WalletFold {
  const f = new WalletFold();
  for (const e of entries) f.apply(e);
  return f;
}

/** Folds a whole chain (from seq 1) into the wallet at `now`. */
export function fold(entries: Iterable<EntryBody>, now: string): WalletState {
  return foldAll(entries).view(now);
}
