import { z } from 'zod';
import type { Sql } from '../db/database';
import type { TeamBookPart } from '../teams/book-ops';

/**
 * One account's write as `ledger_append` stores it (server/db/migrations/011-ledger-append.ts, 016-ledger-append-monthly.ts):
 * entries already hashed and folded by Node, the head they move to, timers, and the operation's
 * result. `expect`, when given, is the head the write was computed from; the item is refused as
 * `stale` if the account's head is no longer that one.
 */
export interface AppendItem {
  account: string;
  expect?: {
    seq: number;
    hash: string;
    plan: string;
    daily: string | null;
    monthly: string | null;
  };
  /** The spending limits the write was checked against: stale if they are not the stored ones. */
  limits?: { daily: number | null; monthly: number | null };
  op: string | null;
  requestHash: string;
  entries: Array<{
    seq: number;
    hash: string;
    body: string;
    type: string;
    at: string;
    operation_id: string;
    balances_after: string;
  }>;
  head: { seq: number; hash: string; daily: string | null; monthly: string | null };
  timersSet: Array<{ ref: string; due: string }>;
  timersClear: string[];
  /** A team write's bookkeeping (migration 018): a failed check makes the item `stale`. */
  team?: TeamBookPart;
  status: number;
  result: string;
}

const Outcome = z.discriminatedUnion('outcome', [
  z.object({ i: z.number().int(), outcome: z.literal('ok'), plan: z.string() }),
  z.object({ i: z.number().int(), outcome: z.literal('missing') }),
  z.object({ i: z.number().int(), outcome: z.literal('stale') }),
  z.object({
    i: z.number().int(),
    outcome: z.literal('replay'),
    requestHash: z.string(),
    status: z.number().int(),
    result: z.string(),
  }),
  z.object({
    i: z.number().int(),
    outcome: z.literal('error'),
    code: z.string(),
    message: z.string(),
  }),
]);
export type AppendOutcome = z.infer<typeof Outcome>;
const Outcomes = z.array(Outcome);

/** Stores `items` with one `ledger_append` call; one outcome per item, in the items' order. */
export async function appendItems(
  sql: Sql,
  items: readonly AppendItem[],
): Promise<AppendOutcome[]> {
  const { rows } = await sql.query<{ outcomes: unknown }>(
    'select ledger_append($1::jsonb) as outcomes',
    [JSON.stringify(items.map((item, i) => ({ ...item, i })))],
  );
  const raw = rows[0]?.outcomes;
  // PGlite and pg both parse jsonb; a driver handing back text is parsed here.
  const outcomes = Outcomes.parse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  const byIndex = new Map(outcomes.map((o) => [o.i, o]));
  return items.map((_, i) => {
    const o = byIndex.get(i);
    if (!o) throw new Error(`ledger_append returned no outcome for item ${i}`);
    return o;
  });
}

interface Waiting {
  item: AppendItem;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit (docs/architecture.md §9): one per instance. Writes that arrive while
 * `maxInFlight` batches are already on their way wait and then go together, many accounts in one
 * statement and one commit, so the database flushes its log once for all of them. Each item's
 * outcome goes back to its own caller; an item that fails inside the batch fails alone (its
 * own subtransaction). If the statement itself fails (a lost connection), nothing in it was
 * committed and every caller in it gets the error.
 */
export class GroupWriter {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  /** A pump is due at the end of this event-loop turn (setImmediate). */
  private scheduled = false;

  constructor(
    private readonly sql: Sql,
    private readonly maxInFlight: number,
    private readonly maxBatch = 64,
  ) {}

  submit(item: AppendItem): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Sends at the end of this event-loop turn, not at once: requests whose bytes already sit in
   * the sockets are read in this turn's poll phase and join the batch. Sending at once gave
   * one-item batches over HTTP — each request went before the next was even parsed (on PGlite,
   * whose statement runs on this thread, every batch held one write; docs/architecture.md §9).
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async send(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await appendItems(
        this.sql,
        batch.map((w) => w.item),
      );
      // appendItems answers every item in order (it throws otherwise).
      outcomes.forEach((outcome, i) => batch[i]?.resolve(outcome));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
