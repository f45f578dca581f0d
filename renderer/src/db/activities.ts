import { creditsText, date, money } from '../util/format';
import type { EntryRow } from './db';
import { expiryAdjustmentFacts, operatorGrantFacts, revokeFacts } from './operator-activities';
import { type HoldInfo, type LooseBody, type LoosePurpose, endedOf } from './rows';

/**
 * What History shows: one activity per thing the user did or got, built from ledger entries at
 * store time (docs/architecture.md §9). A job's hold, capture and release are one activity; an
 * expiry of several buckets at one moment is one; every other entry is its own.
 */
export type ActivityKind =
  | 'generate'
  | 'filter'
  | 'upscale'
  | 'cutout'
  | 'faces'
  | 'design'
  | 'purchase'
  | 'renewal'
  | 'free'
  | 'promo'
  | 'refund'
  | 'expiry'
  | 'reversal'
  | 'allowance'
  | 'refused'
  | 'other'
  | 'adjustment'
  | 'rollover';

export type ActivityStatus =
  | 'pending'
  | 'charged'
  | 'refunded'
  | 'released'
  | 'credited'
  | 'expired'
  | 'reversed'
  | 'reserved'
  | 'returned'
  | 'refused'
  | 'adjusted';

/** The words History's filter and the CSV use for each kind. */
export const ACTIVITY_WORDS: Record<ActivityKind, string> = {
  generate: 'Generate',
  filter: 'Filter',
  upscale: 'Upscale',
  cutout: 'Cutout',
  faces: 'Faces',
  design: 'Design',
  purchase: 'Purchase',
  renewal: 'Plan renewal',
  free: 'Free credits',
  promo: 'Promotional credits',
  refund: 'Refund',
  expiry: 'Expiry',
  reversal: 'Reversal',
  allowance: 'Offline allowance',
  refused: 'Refused',
  other: 'Other',
  adjustment: 'Support adjustment',
  rollover: 'Rollover',
};

export interface Activity {
  /** Position in the order activities began (0 = the account's first). */
  n: number;
  /** What groups its entries: `hold:<id>`, `allowance:<id>`, or `seq:<n>` for a single entry. */
  key: string;
  kind: ActivityKind;
  title: string;
  /** A second line: the tool and what it was charged, the plan, the design… */
  detail: string;
  /** Net change of the balance of `creditKind` (a pending hold shows what it holds). */
  credits: number;
  creditKind: string;
  /** The balance of `creditKind` after the activity's newest entry. */
  balanceAfter: number;
  /** When it began (its first entry). */
  at: string;
  status: ActivityStatus;
  seqs: number[];
  /** The job, design, catalog item or purchase it is about ('' when none). */
  ref: string;
  /** Lower-case text the search box looks in. */
  search: string;
}

/** What the builder keeps between batches (stored with the cursor). */
export interface ActivityState {
  count: number;
  /** Running balance per credit kind after the stored head. */
  balances: Record<string, number>;
  /** Plan items bought before: a later purchase of one is a renewal. */
  plans: string[];
}

export const initialActivityState = (): ActivityState => ({ count: 0, balances: {}, plans: [] });

/** What the builder looks up outside the batch. */
export interface ActivityContext {
  /** Open activities (a hold not yet captured or released) the batch may resolve, by key. */
  open: Map<string, Activity>;
  /** Holds by id (with their job's note): a refund names what it refunds. */
  holds: Map<string, HoldInfo>;
  /** Titles from the local catalog, for entries written before they carried them. */
  designTitle?: (designId: string) => string | undefined;
  item?: (itemId: string) => { title: string; type: string } | undefined;
}

export const TOOLS: Record<string, ActivityKind> = {
  generate: 'generate',
  filter: 'filter',
  upscale: 'upscale',
  cutout: 'cutout',
  'face-enhance': 'faces',
};
export const TOOL_TITLES: Record<string, string> = {
  generate: 'Image generation',
  filter: 'Filter',
  upscale: 'Upscale',
  cutout: 'Background removal',
  'face-enhance': 'Face restoration',
};
const GRANT_TITLES: Record<string, string> = {
  daily: 'Daily free credits',
  signup: 'Welcome credits',
  bonus: 'Bonus credits',
  promo: 'Promotional credits',
  refund: 'Refunded credits',
  adjustment: 'Credit adjustment',
  plan: 'Plan credits',
  pack: 'Pack credits',
  monthly: 'Monthly free credits',
  rollover: 'Rolled-over credits',
};
export const RELEASE_WORDS: Record<string, string> = {
  released: 'not charged',
  cancelled: 'cancelled, not charged',
  failed: 'failed, not charged',
  discarded: 'discarded, not charged',
  expired: 'timed out, not charged',
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** "design-confetti" → "Confetti": the best an old entry without a title can say. */
export function humanId(id: string): string {
  const words = id
    .replace(/^(design|d)[-_]/, '')
    .replace(/[-_]+/g, ' ')
    .trim();
  return words ? words[0]?.toUpperCase() + words.slice(1) : id;
}

/**
 * Builds and updates activities from stored rows and their bodies, in seq order. Call `add` for
 * each entry of a batch, then read `changed` (new and updated activities) and `state`.
 */
export class ActivityBuilder {
  private readonly touched = new Map<string, Activity>();
  private lastExpiry: Activity | null = null;

  constructor(
    readonly state: ActivityState,
    private readonly ctx: ActivityContext,
  ) {}

  get changed(): Activity[] {
    return [...this.touched.values()].sort((a, b) => a.n - b.n);
  }

  add(row: EntryRow, b: LooseBody): void {
    const kind = row.kind;
    if (kind && row.delta !== 0)
      this.state.balances[kind] = (this.state.balances[kind] ?? 0) + row.delta;
    const balance = this.state.balances[kind] ?? 0;
    if (row.type !== 'expire') this.lastExpiry = null;
    switch (row.type) {
      case 'hold':
        this.hold(row, b, balance);
        break;
      case 'capture':
      case 'release':
        this.resolve(row, b, balance);
        break;
      case 'spend':
        this.spend(row, b.purpose, balance);
        break;
      case 'grant':
        this.grant(row, b, balance);
        break;
      case 'purchase':
        this.purchase(row, b, balance);
        break;
      case 'refund':
        this.refund(row, b, balance);
        break;
      case 'expire':
        this.expire(row, balance);
        break;
      case 'reversal':
        this.single(row, balance, {
          kind: 'reversal',
          title: `Purchase ${str(b.reason) || 'reversed'} by the payment provider`,
          detail: `${creditsText(row.amount)} taken back`,
          status: 'reversed',
          ref: str(b.purchaseId),
        });
        break;
      case 'reserve':
        this.open(`allowance:${str(b.allowanceId)}`, row, balance, {
          kind: 'allowance',
          title: 'Offline allowance set aside',
          detail: `${creditsText(row.amount)} to spend without a connection`,
          status: 'reserved',
          credits: 0,
          ref: str(b.allowanceId),
        });
        break;
      case 'unreserve':
        this.closeAllowance(row, b, balance);
        break;
      case 'settle':
        this.settle(row, b, balance);
        break;
      case 'rejection':
        this.single(row, balance, {
          kind: 'refused',
          title: 'Offline spending refused by the server',
          detail: str(b.message) || str(b.code),
          status: 'refused',
          ref: '',
        });
        break;
      case 'adjust-expiry':
        this.single(row, balance, expiryAdjustmentFacts(b));
        break;
      case 'rollover':
        this.rollover(row, b, balance);
        break;
      default:
        this.single(row, balance, {
          kind: 'other',
          title: row.label || row.type,
          detail: '',
          status: 'credited',
          ref: '',
        });
    }
  }

  private create(
    key: string,
    row: EntryRow,
    balance: number,
    a: Pick<Activity, 'kind' | 'title' | 'detail' | 'status' | 'ref'> & { credits?: number },
  ): Activity {
    const activity: Activity = {
      n: this.state.count++,
      key,
      kind: a.kind,
      title: a.title,
      detail: a.detail,
      credits: a.credits ?? row.delta,
      creditKind: row.kind,
      balanceAfter: balance,
      at: row.at,
      status: a.status,
      seqs: [row.seq],
      ref: a.ref,
      search: '',
    };
    this.touch(activity);
    return activity;
  }

  private touch(a: Activity): void {
    a.search =
      `${a.title} ${a.detail} ${ACTIVITY_WORDS[a.kind]} ${a.status} ${a.ref}`.toLowerCase();
    this.touched.set(a.key, a);
  }

  private single(
    row: EntryRow,
    balance: number,
    a: Pick<Activity, 'kind' | 'title' | 'detail' | 'status' | 'ref'> & { credits?: number },
  ): Activity {
    return this.create(`seq:${row.seq}`, row, balance, a);
  }

  private open(
    key: string,
    row: EntryRow,
    balance: number,
    a: Pick<Activity, 'kind' | 'title' | 'detail' | 'status' | 'ref'> & { credits?: number },
  ): void {
    this.ctx.open.set(key, this.create(key, row, balance, a));
  }

  private jobTitle(tool: string, purpose: LoosePurpose | undefined, note?: string): string {
    const summary = str(purpose?.summary) || note || '';
    return summary || TOOL_TITLES[tool] || tool || 'Run';
  }

  private hold(row: EntryRow, b: LooseBody, balance: number): void {
    const p = b.purpose;
    if (p?.kind === 'design') {
      this.open(`hold:${row.holdId ?? ''}`, row, balance, {
        ...this.designFacts(p),
        status: 'pending',
        credits: -row.amount,
      });
      return;
    }
    const tool = row.tool;
    this.open(`hold:${row.holdId ?? ''}`, row, balance, {
      kind: TOOLS[tool] ?? 'other',
      title: this.jobTitle(tool, p),
      detail: `${TOOL_TITLES[tool] ?? tool} · ${creditsText(row.amount)} pending`,
      status: 'pending',
      credits: -row.amount,
      ref: str(p?.jobId),
    });
  }

  private resolve(row: EntryRow, b: LooseBody, balance: number): void {
    const key = `hold:${str(b.holdId)}`;
    const a = this.ctx.open.get(key);
    if (!a) {
      // The hold is not stored (should not happen in a verified chain): keep the entry visible.
      this.single(row, balance, {
        kind: TOOLS[row.tool] ?? 'other',
        title: row.label,
        detail: '',
        status: row.type === 'capture' ? 'charged' : 'released',
        ref: str(b.holdId),
      });
      return;
    }
    this.ctx.open.delete(key);
    a.seqs.push(row.seq);
    a.balanceAfter = balance;
    const tool = TOOL_TITLES[row.tool] ?? (a.kind === 'design' ? 'Design' : row.tool);
    if (row.type === 'capture') {
      a.status = 'charged';
      a.credits = -row.amount;
      a.detail = `${tool} · ${creditsText(row.amount)} charged`;
    } else {
      a.status = 'released';
      a.credits = 0;
      a.detail = `${tool} · ${RELEASE_WORDS[str(b.reason)] ?? 'not charged'}`;
    }
    this.touch(a);
  }

  private designFacts(p: LoosePurpose): Pick<Activity, 'kind' | 'title' | 'detail' | 'ref'> {
    const id = str(p.designId);
    const title = str(p.title) || this.ctx.designTitle?.(id) || humanId(id);
    return { kind: 'design', title, detail: 'Design redeemed', ref: id };
  }

  private spend(row: EntryRow, p: LoosePurpose | undefined, balance: number): void {
    if (p?.kind === 'design') {
      this.single(row, balance, { ...this.designFacts(p), status: 'charged' });
      return;
    }
    if (p?.kind === 'job') {
      const tool = str(p.tool);
      this.single(row, balance, {
        kind: TOOLS[tool] ?? 'other',
        title: this.jobTitle(tool, p),
        detail: `${TOOL_TITLES[tool] ?? tool} · ${creditsText(row.amount)} charged`,
        status: 'charged',
        ref: str(p.jobId),
      });
      return;
    }
    this.single(
      row,
      balance,
      p?.kind === 'revoke'
        ? revokeFacts(p)
        : { kind: 'other', title: 'Credits spent', detail: '', status: 'charged', ref: '' },
    );
  }

  private grant(row: EntryRow, b: LooseBody, balance: number): void {
    if (b.operator) {
      this.single(row, balance, operatorGrantFacts(b, GRANT_TITLES));
      return;
    }
    const source = str(b.bucket?.source);
    const expires = str(b.bucket?.expiresAt);
    this.single(row, balance, {
      kind: source === 'promo' ? 'promo' : source === 'adjustment' ? 'other' : 'free',
      title: GRANT_TITLES[source] ?? 'Credits added',
      detail: expires ? `Expires ${date(expires)}` : 'Never expires',
      status: 'credited',
      ref: '',
    });
  }

  private purchase(row: EntryRow, b: LooseBody, balance: number): void {
    const itemId = str(b.itemId);
    const known = this.ctx.item?.(itemId);
    const name = str(b.itemTitle) || known?.title || humanId(itemId);
    const plan = (str(b.itemType) || known?.type) === 'plan' || b.buckets?.[0]?.source === 'plan';
    const renewal = plan && this.state.plans.includes(itemId);
    if (plan && !renewal) this.state.plans.push(itemId);
    const price = b.currency ? money(num(b.priceCents), str(b.currency)) : '';
    // An upgrade's purchase (docs/architecture.md §7): the difference in credits, paid prorated.
    const upgrade = str(b.purchaseId).endsWith(':upgrade');
    this.single(row, balance, {
      kind: renewal && !upgrade ? 'renewal' : 'purchase',
      title: upgrade ? `Upgraded to ${name}` : renewal ? `${name} renewed` : name,
      detail: [upgrade ? 'Plan upgrade' : plan ? 'Plan' : 'Credit pack', price && `paid ${price}`]
        .filter(Boolean)
        .join(' · '),
      status: 'credited',
      ref: itemId,
    });
  }

  private refund(row: EntryRow, b: LooseBody, balance: number): void {
    const hold = this.ctx.holds.get(str(b.paidBy));
    const what = hold?.note || (hold ? TOOL_TITLES[hold.tool] : '') || 'an image';
    this.single(row, balance, {
      kind: 'refund',
      title: `Refund: ${what}`,
      detail: str(b.reason) || 'disliked image',
      status: 'refunded',
      ref: str(b.itemId),
    });
  }

  private expire(row: EntryRow, balance: number): void {
    const last = this.lastExpiry;
    if (last && last.at === row.at && last.creditKind === row.kind) {
      last.seqs.push(row.seq);
      last.credits += row.delta;
      last.balanceAfter = balance;
      last.detail = `${creditsText(-last.credits)} unused`;
      this.touch(last);
      return;
    }
    this.lastExpiry = this.single(row, balance, {
      kind: 'expiry',
      title: 'Credits expired',
      detail: `${creditsText(row.amount)} unused`,
      status: 'expired',
      ref: '',
    });
  }

  /** A renewal's rollover: what moved (and until when), and what ended beyond the cap. */
  private rollover(row: EntryRow, b: LooseBody, balance: number): void {
    const ended = endedOf(b);
    const expires = str(b.bucket?.expiresAt);
    this.single(row, balance, {
      kind: 'rollover',
      title: row.amount > 0 ? `${creditsText(row.amount)} rolled over` : 'Nothing rolled over',
      detail: [
        `Cap ${creditsText(num(b.cap))}`,
        expires && `Expires ${date(expires)}`,
        ended > 0 && `${creditsText(ended)} ended unused`,
      ]
        .filter(Boolean)
        .join(' · '),
      status: 'credited',
      ref: str(b.planId),
    });
  }

  private closeAllowance(row: EntryRow, b: LooseBody, balance: number): void {
    const key = `allowance:${str(b.allowanceId)}`;
    const a = this.ctx.open.get(key);
    const reason = str(b.reason) === 'expired' ? 'expired' : 'returned';
    if (!a) {
      this.single(row, balance, {
        kind: 'allowance',
        title: `Offline allowance ${reason}`,
        detail: '',
        status: reason === 'expired' ? 'expired' : 'returned',
        ref: str(b.allowanceId),
      });
      return;
    }
    this.ctx.open.delete(key);
    a.seqs.push(row.seq);
    a.balanceAfter = balance;
    a.status = reason === 'expired' ? 'expired' : 'returned';
    a.detail = `${a.detail}; ${creditsText(row.amount)} unspent ${reason === 'expired' ? 'expired' : 'given back'}`;
    this.touch(a);
  }

  private settle(row: EntryRow, b: LooseBody, balance: number): void {
    const vouchers = b.vouchers ?? [];
    if (vouchers.length === 0) return;
    // One activity per voucher (each is one offline redemption); the balance after is the entry's.
    let before = balance - row.delta;
    for (const v of vouchers) {
      const amount = num(v.amount);
      before -= amount;
      const facts =
        v.purpose?.kind === 'design'
          ? this.designFacts(v.purpose)
          : { kind: 'other' as const, title: 'Offline spending', detail: '', ref: '' };
      const a = this.create(`seq:${row.seq}:${num(v.counter)}`, row, before, {
        ...facts,
        detail: `${facts.detail || 'Spent'} offline, settled`,
        status: 'charged',
        credits: -amount,
      });
      this.touch(a);
    }
  }
}
