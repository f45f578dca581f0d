import type { WireEntry } from '../../../shared/ledger/entry';
import type { EntryRow } from './db';

/** The fields of an entry body the history needs; read with JSON.parse only (hot path). */
export interface LooseBody {
  type?: string;
  at?: string;
  kind?: string;
  amount?: number;
  holdId?: string;
  paidBy?: string;
  reason?: string;
  itemId?: string;
  purchaseId?: string;
  priceCents?: number;
  currency?: string;
  /** Signed facts for History (docs/architecture.md §2); absent on entries written before. */
  itemTitle?: string;
  itemType?: string;
  purpose?: LoosePurpose;
  bucket?: {
    kind?: string;
    amount?: number;
    source?: string;
    effectiveAt?: string;
    expiresAt?: string | null;
  };
  buckets?: { kind?: string; amount?: number; source?: string; expiresAt?: string | null }[];
  vouchers?: { counter?: number; amount?: number; itemId?: string; purpose?: LoosePurpose }[];
  allowanceId?: string;
  forfeited?: number;
  newBucket?: unknown;
  code?: string;
  message?: string;
  /** Operator entries (docs/architecture.md §2): who made it; an expiry adjustment's times. */
  operator?: string;
  bucketId?: string;
  expiresAt?: string | null;
  previousExpiresAt?: string | null;
  /** A rollover's plan credits ended unused beyond its cap, and the cap. */
  ended?: { bucketId?: string; amount?: number }[];
  cap?: number;
  planId?: string;
}

export interface LoosePurpose {
  kind?: string;
  tool?: string;
  jobId?: string;
  designId?: string;
  /** The job's prompt excerpt or settings ("Upscale ×2"); absent on older entries. */
  summary?: string;
  /** The design's title; absent on older entries. */
  title?: string;
  /** An operator's revoke: why, and who (absent on older entries). */
  reason?: string;
  operator?: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

function purposeTool(p: LooseBody['purpose']): string {
  if (!p) return '';
  if (p.kind === 'job') return str(p.tool);
  if (p.kind === 'design') return 'design';
  return str(p.kind);
}

/** Credits a rollover ended unused (beyond its cap). */
export const endedOf = (b: LooseBody): number =>
  (b.ended ?? []).reduce((n, s) => n + num(s.amount), 0);

/** What a capture, release or refund learns from the hold it resolves. */
export interface HoldInfo {
  tool: string;
  kind: string;
  /** The job's prompt excerpt or settings, when its hold carried one. */
  note?: string;
}

/**
 * Derives history rows from wire entries. `holds` maps hold ids to their tool and credit kind;
 * it is filled as holds pass, and the caller preloads it with older holds a batch refers to.
 */
export function toRows(
  entries: readonly WireEntry[],
  holds: Map<string, HoldInfo>,
  onEntry?: (row: EntryRow, body: LooseBody) => void,
): EntryRow[] {
  const rows: EntryRow[] = new Array<EntryRow>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!e) continue;
    const b = JSON.parse(e.body) as LooseBody;
    const type = str(b.type);
    let kind = str(b.kind);
    let tool = '';
    let delta = 0;
    let amount = num(b.amount);
    let label = type;
    let holdId: string | undefined;
    switch (type) {
      case 'grant':
        kind = str(b.bucket?.kind);
        amount = num(b.bucket?.amount);
        delta = amount;
        label = `${str(b.bucket?.source)} credits: ${str(b.reason)}`;
        break;
      case 'purchase':
        kind = str(b.buckets?.[0]?.kind);
        amount = (b.buckets ?? []).reduce((t, x) => t + num(x.amount), 0);
        delta = amount;
        tool = 'store';
        label = 'Purchase';
        break;
      case 'spend':
        delta = -amount;
        tool = purposeTool(b.purpose);
        label = tool === 'design' ? `Design ${str(b.purpose?.designId)}` : `Spend on ${tool}`;
        break;
      case 'hold':
        tool = purposeTool(b.purpose);
        holdId = str(b.holdId);
        holds.set(
          holdId,
          b.purpose?.summary ? { tool, kind, note: b.purpose.summary } : { tool, kind },
        );
        label = `Hold for ${tool}`;
        break;
      case 'capture':
        ({ tool, kind } = holds.get(str(b.holdId)) ?? { tool: '', kind });
        delta = -amount;
        label = `Charged for ${tool || 'job'}`;
        break;
      case 'release':
        ({ tool, kind } = holds.get(str(b.holdId)) ?? { tool: '', kind });
        label = `Hold released (${str(b.reason)})`;
        break;
      case 'refund':
        tool = holds.get(str(b.paidBy))?.tool ?? '';
        delta = amount;
        label = `Refund: ${str(b.reason)}`;
        break;
      case 'expire':
        delta = -amount;
        label = 'Credits expired';
        break;
      case 'reversal':
        // What had already expired (forfeited) left the balance when it expired.
        delta = -(amount - num(b.forfeited));
        tool = 'store';
        label = `Purchase ${str(b.reason)}`;
        break;
      case 'reserve':
        label = 'Offline allowance reserved';
        break;
      case 'settle':
        delta = -amount;
        tool = 'design';
        label = 'Offline spending settled';
        break;
      case 'unreserve':
        label = `Offline allowance ${str(b.reason)}`;
        break;
      case 'rejection':
        label = `Rejected: ${str(b.code)}`;
        break;
      case 'adjust-expiry':
        label = `Expiry changed: ${str(b.reason)}`;
        break;
      case 'rollover':
        // Moved credits stay in the balance; only those ended beyond the cap leave it.
        delta = -endedOf(b);
        tool = 'store';
        label = 'Plan credits rolled over';
        break;
    }
    const row: EntryRow = {
      seq: e.seq,
      hash: e.hash,
      body: e.body,
      type,
      at: str(b.at),
      kind,
      tool,
      delta,
      amount,
      label,
    };
    if (holdId) row.holdId = holdId;
    if (holdId && b.purpose?.summary) row.note = b.purpose.summary;
    rows[i] = row;
    onEntry?.(row, b);
  }
  return rows;
}

/** Hold ids a batch refers to but does not contain (those must be looked up in the store). */
export function referencedHolds(entries: readonly WireEntry[]): string[] {
  const referenced = new Set<string>();
  const contained = new Set<string>();
  const re = /"(?:holdId|paidBy)":"([^"\\]*)"/;
  for (const e of entries) {
    const id = re.exec(e.body)?.[1];
    if (!id) continue;
    if (e.body.includes('"type":"hold"')) contained.add(id);
    else referenced.add(id);
  }
  return [...referenced].filter((id) => !contained.has(id));
}
