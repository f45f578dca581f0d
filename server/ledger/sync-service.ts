import { signCheckpoint, type SignedCheckpoint } from '../../shared/ledger/checkpoint';
import { GENESIS_HASH } from '../../shared/ledger/primitives';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { conflict, notFound } from '../http/errors';
import type { SigningKeys } from '../keys';
import type { LedgerService } from './ledger-service';

/** Serves an account's chain in batches, each with a checkpoint signed at its last entry. */
export class SyncService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
  ) {}

  async pull(accountId: string, after: number, limit: number) {
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
    const { rows } = await this.db.query<{ seq: number; hash: string; body: string }>(
      'select seq, hash, body from entries where account_id = $1 and seq > $2 and seq <= $3 order by seq limit $4',
      [accountId, after, head.head_seq, limit],
    );
    // The checkpoint signs the balances after the batch's last entry (or at the cursor when
    // the batch is empty): one row's, so the batch itself does not read that column.
    const anchorSeq = rows.at(-1)?.seq ?? after;
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
    return {
      entries: rows.map((r) => ({ seq: r.seq, hash: r.hash, body: r.body })),
      checkpoint,
      headSeq: head.head_seq,
    };
  }
}
