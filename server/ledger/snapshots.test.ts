import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from '../../shared/log/logger';
import { LedgerService } from './ledger-service';
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
    for (let i = 0; i < 4; i++) {
      const h = await t.services.ledger.hold(u.accountId, {
        operationId: opId('hold'),
        kind: 'image',
        amount: 5,
        purpose: { kind: 'job', jobId: `job-${i}`, tool: 'generate' },
      });
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
    return { ...u, snapshotSeq: row.seq };
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
    }>(
      'select seq, hash, state, history_digest from ledger_snapshots where account_id = $1',
      [u.accountId],
    );
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
