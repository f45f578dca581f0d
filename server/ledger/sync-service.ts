import { signCheckpoint, type SignedCheckpoint } from '../../shared/ledger/checkpoint';
import { GENESIS_HASH } from '../../shared/ledger/primitives';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { conflict, notFound } from '../http/errors';
import type { SigningKeys } from '../keys';
import type { LedgerService } from './ledger-service';

/** One pulled batch, with its entries already serialised as the JSON array's members. */
export interface PulledPage {
  /** `{"seq":…,"hash":"…","body":"…"}` objects joined by commas, in seq order ('' when empty). */
  entriesJson: string;
  checkpoint: SignedCheckpoint;
  headSeq: number;
}

// Postgres writes each wire entry's JSON itself (to_json escapes the body text exactly as
// JSON.stringify would need): for a 5,000-entry batch this avoids decoding 15,000 fields into
// JS objects and stringifying them again, which was most of a pull's time on PGlite.
const PAGE_SQL = `select count(*)::int as n, coalesce(max(seq), 0)::int as last,
  coalesce(string_agg('{"seq":' || seq || ',"hash":"' || hash || '","body":' || to_json(body)::text || '}', ',' order by seq), '') as j
  from entries where account_id = $1 and seq > $2 and seq <= $3`;

/** Serves an account's chain in batches, each with a checkpoint signed at its last entry. */
export class SyncService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
  ) {}

  async pull(accountId: string, after: number, limit: number): Promise<PulledPage> {
    await this.ledger.touch(accountId); // first use of the day grants the daily credits
    const { rows: heads } = await this.db.query<{ head_seq: number }>(
      'select head_seq from accounts where id = $1',
      [accountId],
    );
    const head = heads[0];
    if (!head) throw notFound('account');
    if (after > head.head_seq) {
      throw conflict(
        'cursor-ahead',
        `the device is at entry ${after} but the ledger ends at ${head.head_seq}; its copy is not this server's history`,
      );
    }
    // Seqs are dense (1..head), so the batch is exactly this range. Bounding it on both ends
    // keeps the plan cheap even with stale statistics (PGlite never auto-analyzes): with only
    // a LIMIT, the planner sorted every remaining row of the account for each batch.
    const upTo = Math.min(head.head_seq, after + limit);
    const { rows: pages } = await this.db.query<{ n: number; last: number; j: string }>(PAGE_SQL, [
      accountId,
      after,
      upTo,
    ]);
    const page = pages[0];
    if (!page || page.n !== upTo - after || (page.n > 0 && page.last !== upTo)) {
      throw new Error(
        `ledger of ${accountId} is not dense between ${after} and ${upTo} (found ${page?.n ?? 0} entries)`,
      );
    }
    // The checkpoint signs the balances after the batch's last entry (or at the cursor when
    // the batch is empty): one row's, so the batch itself does not read that column.
    const anchorSeq = page.n > 0 ? page.last : after;
    let anchor: { seq: number; hash: string; balances_after: string } | undefined;
    if (anchorSeq > 0) {
      const { rows: at } = await this.db.query<{
        seq: number;
        hash: string;
        balances_after: string;
      }>('select seq, hash, balances_after from entries where account_id = $1 and seq = $2', [
        accountId,
        anchorSeq,
      ]);
      anchor = at[0];
    }
    const checkpoint: SignedCheckpoint = signCheckpoint(
      {
        accountId,
        seq: anchor?.seq ?? 0,
        head: anchor?.hash ?? GENESIS_HASH,
        balances: anchor ? (JSON.parse(anchor.balances_after) as Record<string, number>) : {},
        issuedAt: this.clock.now(),
        keyId: this.keys.active.keyId,
      },
      this.keys.active.secretKey,
    );
    return { entriesJson: page.j, checkpoint, headSeq: head.head_seq };
  }
}

/** The `PullResponse` document for a page, written without re-serialising its entries. */
export function pullResponseJson(page: PulledPage): string {
  return `{"entries":[${page.entriesJson}],"checkpoint":${JSON.stringify(page.checkpoint)},"headSeq":${page.headSeq}}`;
}
