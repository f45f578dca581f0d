import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';
import { snapshotStore } from './snapshot-store';

/**
 * docs/architecture.md §2, §9: a write whose unlocked try stored nothing and appended nothing
 * (its callback needed the transaction at once, as a job's transition does) keeps the cached
 * fold: the locked run catches it up instead of loading the snapshot and the tail again; one
 * whose try appended entries drops it, and both give the same wallet.
 */
describe.each(backends)('the cached fold after an unlocked try on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend);
  });
  afterAll(async () => t.close());

  it('is kept when nothing was appended, and the write is right', async () => {
    const u = await signUp(t.app);
    await t.services.ledger.grant(u.accountId, {
      operationId: opId('grant'),
      amount: 50,
      source: 'promo',
      reason: 'test',
    });
    const before = (await t.services.ledger.wallet(u.accountId)).balances.image?.available ?? 0;
    const loads = vi.spyOn(snapshotStore, 'load');
    try {
      // Needs the transaction before appending anything: the unlocked try stops at once.
      const r = await t.services.ledger.write(u.accountId, null, async (ctx) => {
        await ctx.tx.query('select 1');
        ctx.append({
          type: 'grant',
          operationId: opId('grant'),
          reason: 'test',
          bucket: {
            bucketId: `b-${opId()}`,
            kind: 'image',
            source: 'promo',
            amount: 7,
            costBasisCents: 0,
            effectiveAt: ctx.now,
            expiresAt: null,
            priority: 100,
          },
        });
        return { status: 200, body: ctx.state().balances.image?.available ?? 0 };
      });
      expect(r.body).toBe(before + 7);
      expect(loads).not.toHaveBeenCalled();
    } finally {
      loads.mockRestore();
    }
    expect((await t.services.ledger.wallet(u.accountId)).balances.image?.available).toBe(
      before + 7,
    );
  });
});
