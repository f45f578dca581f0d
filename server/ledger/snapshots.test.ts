import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from '../../shared/log/logger';
import { LedgerService } from './ledger-service';
import { RefundService } from './refund-service';
import { snapshotDigest } from './snapshot-store';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';

/**
 * docs/architecture.md §9: a cold account loads its snapshot and the entries after it; a
 * snapshot that does not match its chain is refused, reported, and the whole chain folded.
 */
describe.each(backends)('ledger snapshots on %s', (backend) => {
  let t: TestServer;
  const ledger = { snapshotEvery: 5 };
  beforeAll(async () => {
    t = await testServer(backend, { ledger });
  });
  afterAll(async () => t.close());

  /** An account with a few grants and holds: a snapshot at seq ≥ 5 and a tail after it. */
  async function account() {
    const u = await signUp(t.app);
    for (let i = 0; i < 4; i++)
      await t.services.ledger.grant(u.accountId, {
        operationId: opId('grant'),
        amount: 10 + i,
        source: 'promo',
        reason: 'test',
      });
    const holdIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const h = await t.services.ledger.hold(u.accountId, {
        operationId: opId('hold'),
        kind: 'image',
        amount: 5,
        purpose: { kind: 'job', jobId: `job-${i}`, tool: 'generate' },
      });
      holdIds.push(h.body.holdId);
      if (i < 3)
        await t.services.ledger.capture(u.accountId, h.body.holdId, {
          operationId: opId('capture'),
          amount: 4,
        });
    }
    const { rows } = await t.db.query<{ seq: number; head_seq: number }>(
      'select s.seq, a.head_seq from ledger_snapshots s join accounts a on a.id = s.account_id where a.id = $1',
      [u.accountId],
    );
    const row = rows[0];
    if (!row) throw new Error('no snapshot was written');
    expect(row.seq).toBeGreaterThanOrEqual(5);
    expect(row.seq).toBeLessThan(row.head_seq); // a tail to fold after it
    return { ...u, snapshotSeq: row.seq, holdIds };
  }

  /** Another process on the same database: nothing cached, everything from storage. */
  function restarted() {
    const { log, lines } = recordingLogger('ledger');
    const service = new LedgerService(
      t.db,
      t.clock,
      { ...t.services.ledger.config, ...ledger },
      log,
    );
    return { service, lines };
  }

  it('loads a cold account from its snapshot and tail, with the same wallet', async () => {
    const u = await account();
    const expected = await t.services.ledger.wallet(u.accountId);
    // An entry before the snapshot is never read again: changing it cannot matter.
    await t.db.query(`update entries set body = 'not json' where account_id = $1 and seq = 1`, [
      u.accountId,
    ]);
    const { service } = restarted();
    expect(await service.wallet(u.accountId)).toEqual(expected);
    expect(service.snapshotsRefused).toBe(0);
    const hold = await service.hold(u.accountId, {
      operationId: opId('hold'),
      kind: 'image',
      amount: 3,
      purpose: { kind: 'job', jobId: 'after-restart', tool: 'generate' },
    });
    expect(hold.status).toBe(201);
  });

  /** An image paid by the account's first (captured) hold, refundable for 24 hours. */
  async function item(accountId: string, paidBy: string) {
    const id = `item-${opId('i')}`;
    await t.db.query(
      `insert into items (id, account_id, paid_by, tool, refund_credits, created_at)
       values ($1, $2, $3, 'generate', 4, $4)`,
      [id, accountId, paidBy, t.clock.now()],
    );
    return id;
  }

  const history = (accountId: string) =>
    t.db
      .query<{ state: string; history: string }>(
        'select state, history from ledger_snapshots where account_id = $1',
        [accountId],
      )
      .then((r) => r.rows[0]!);

  it('keeps resolved holds and payments out of the core, and reads the history only when a write needs it', async () => {
    const u = await account();
    const stored = await history(u.accountId);
    // The first two holds were captured before the snapshot.
    for (const id of u.holdIds.slice(0, 2)) {
      expect(stored.history).toContain(id);
      expect(stored.state).toContain(id); // named (its id only), so a new hold cannot reuse it
    }
    expect(stored.state).not.toContain('"payment":{');
    // A history changed where only its digest tells: the hold below never reads it.
    await t.db.query(
      `update ledger_snapshots set history = replace(history, '"captured":4', '"captured":3') where account_id = $1`,
      [u.accountId],
    );
    const { service, lines } = restarted();
    const hold = await service.hold(u.accountId, {
      operationId: opId('hold'),
      kind: 'image',
      amount: 3,
      purpose: { kind: 'job', jobId: 'core-only', tool: 'generate' },
    });
    expect(hold.status).toBe(201);
    expect(service.snapshotsRefused).toBe(0);
    // Capturing a hold resolved before the snapshot needs its row: the history is read, refused
    // (its digest no longer matches), reported, and the whole chain folded, so the answer is
    // still the right one.
    await expect(
      service.capture(u.accountId, u.holdIds[0]!, { operationId: opId('capture'), amount: 1 }),
    ).rejects.toMatchObject({ status: 409, code: 'hold-not-open' });
    expect(service.snapshotsRefused).toBe(1);
    expect(lines.find((l) => l.incident === 'snapshot-refused')?.reason).toMatch(/history/);
    expect(await service.wallet(u.accountId)).toEqual(await t.services.ledger.wallet(u.accountId));
  });

  it('runs a write that needs the history again on the whole fold: a late capture and a refund', async () => {
    const u = await account();
    const itemId = await item(u.accountId, u.holdIds[0]!);
    const { service } = restarted();
    await expect(
      service.release(u.accountId, u.holdIds[1]!, {
        operationId: opId('release'),
        reason: 'released',
      }),
    ).rejects.toMatchObject({ status: 409, code: 'hold-not-open' });
    const refunds = new RefundService(service, async () => 24, t.services.teamWallet);
    const refund = await refunds.dislike(u.accountId, itemId, opId('dislike'));
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ itemId, credits: 4 });
    // The same refund again is refused by the fold it is cached as: whole, with the refund.
    await expect(refunds.dislike(u.accountId, itemId, opId('dislike'))).rejects.toMatchObject({
      status: 409,
      code: 'already-refunded',
    });
    expect(await service.wallet(u.accountId)).toEqual(await t.services.ledger.wallet(u.accountId));
    expect(service.snapshotsRefused).toBe(0);
  });

  it('runs a refused release and a refund again on the whole fold when the head is known (the unlocked path is tried first)', async () => {
    const u = await account();
    const itemId = await item(u.accountId, u.holdIds[0]!);
    const { service } = restarted();
    // The read caches the fold (core only) and the head: the next write tries the unlocked path.
    const before = await service.wallet(u.accountId);
    // A refusal is only final under the lock: the second run must be the locked one.
    await expect(
      service.release(u.accountId, u.holdIds[1]!, {
        operationId: opId('release'),
        reason: 'released',
      }),
    ).rejects.toMatchObject({ status: 409, code: 'hold-not-open' });
    await service.wallet(u.accountId);
    const refunds = new RefundService(service, async () => 24, t.services.teamWallet);
    const refund = await refunds.dislike(u.accountId, itemId, opId('dislike'));
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ itemId, credits: 4 });
    const after = await service.wallet(u.accountId);
    expect(after.balances.image?.available).toBe((before.balances.image?.available ?? 0) + 4);
    expect(after).toEqual(await t.services.ledger.wallet(u.accountId));
  });

  it('reruns a write that needs the history under the lock, even when its known head went stale', async () => {
    const u = await account();
    const itemId = await item(u.accountId, u.holdIds[0]!);
    const { service } = restarted();
    await service.wallet(u.accountId); // caches the core-only fold and the head
    // Another instance writes: the head this one knows is stale, so an unlocked try is refused
    // and the write goes to the lock, whose checkOut must still get the whole fold.
    await t.services.ledger.grant(u.accountId, {
      operationId: opId('grant'),
      amount: 3,
      source: 'promo',
      reason: 'test',
    });
    const refund = await new RefundService(service, async () => 24, t.services.teamWallet).dislike(
      u.accountId,
      itemId,
      opId('dislike'),
    );
    expect(refund.status).toBe(201);
    expect(await service.wallet(u.accountId)).toEqual(await t.services.ledger.wallet(u.accountId));
  });

  it('folds a tail that refunds a payment only the history holds', async () => {
    const u = await account();
    const itemId = await item(u.accountId, u.holdIds[0]!);
    const refund = await new RefundService(
      t.services.ledger,
      async () => 24,
      t.services.teamWallet,
    ).dislike(u.accountId, itemId, opId('dislike'));
    const { rows } = await t.db.query<{ seq: number }>(
      'select seq from ledger_snapshots where account_id = $1',
      [u.accountId],
    );
    expect(rows[0]!.seq).toBeLessThan(refund.body.seq); // the refund is in the tail
    const { service } = restarted();
    expect(await service.wallet(u.accountId)).toEqual(await t.services.ledger.wallet(u.accountId));
    expect(service.snapshotsRefused).toBe(0);
  });

  it('stores the next snapshot whole from a fold restored without its history', async () => {
    const u = await account();
    const first = restarted().service;
    for (let i = 0; i < ledger.snapshotEvery; i++)
      await first.grant(u.accountId, {
        operationId: opId('grant'),
        amount: 1,
        source: 'promo',
        reason: 'test',
      });
    const { rows } = await t.db.query<{ seq: number }>(
      'select seq from ledger_snapshots where account_id = $1',
      [u.accountId],
    );
    expect(rows[0]!.seq).toBeGreaterThan(u.snapshotSeq); // a new snapshot was stored
    const stored = await history(u.accountId);
    for (const id of u.holdIds.slice(0, 3)) expect(stored.history).toContain(id);
    const { service } = restarted();
    await expect(
      service.capture(u.accountId, u.holdIds[2]!, { operationId: opId('capture'), amount: 1 }),
    ).rejects.toMatchObject({ status: 409, code: 'hold-not-open' });
    expect(await service.wallet(u.accountId)).toEqual(await t.services.ledger.wallet(u.accountId));
    expect(service.snapshotsRefused).toBe(0);
  });

  it('checks the tail by its hash chain: a changed entry after the snapshot is refused', async () => {
    const u = await account();
    await t.db.query(
      `update entries set body = replace(body, '"amount":4', '"amount":3') where account_id = $1 and seq > $2 and type = 'capture'`,
      [u.accountId, u.snapshotSeq],
    );
    const { service } = restarted();
    await expect(service.wallet(u.accountId)).rejects.toThrow(/broken at seq/);
  });

  const tampers: Array<[string, string]> = [
    [
      'its hash names no entry',
      `update ledger_snapshots set hash = repeat('0', 64) where account_id = $1`,
    ],
    [
      'it is bound to another entry',
      `update ledger_snapshots set hash = (select hash from entries e where e.account_id = $1 and e.seq = 2) where account_id = $1`,
    ],
    [
      'its state is changed',
      `update ledger_snapshots set state = replace(state, '"remaining":', '"remaining":1') where account_id = $1`,
    ],
  ];
  it.each(tampers)(
    'refuses a snapshot when %s, reports it, and folds the whole chain',
    async (_, sql) => {
      const u = await account();
      const expected = await t.services.ledger.wallet(u.accountId);
      await t.db.query(sql, [u.accountId]);
      const { service, lines } = restarted();
      expect(await service.wallet(u.accountId)).toEqual(expected);
      expect(service.snapshotsRefused).toBe(1);
      expect(
        lines.some((l) => l.incident === 'snapshot-refused' && l.accountId === u.accountId),
      ).toBe(true);
    },
  );

  it('refuses a changed state even with its digest made again: the balances do not match', async () => {
    const u = await account();
    const expected = await t.services.ledger.wallet(u.accountId);
    const { rows } = await t.db.query<{
      seq: number;
      hash: string;
      state: string;
      history_digest: string;
    }>('select seq, hash, state, history_digest from ledger_snapshots where account_id = $1', [
      u.accountId,
    ]);
    const row = rows[0]!;
    const state = row.state.replace(
      /"remaining":(\d+)/,
      (_, n: string) => `"remaining":${Number(n) + 100}`,
    );
    expect(state).not.toBe(row.state);
    await t.db.query('update ledger_snapshots set state = $2, digest = $3 where account_id = $1', [
      u.accountId,
      state,
      snapshotDigest(u.accountId, row.seq, row.hash, row.history_digest, state),
    ]);
    const { service, lines } = restarted();
    expect(await service.wallet(u.accountId)).toEqual(expected);
    expect(service.snapshotsRefused).toBe(1);
    expect(lines.find((l) => l.incident === 'snapshot-refused')?.reason).toMatch(/balances/);
  });
});
