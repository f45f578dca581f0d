import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';

/** docs/architecture.md §9: the folded wallets in memory are bounded; answers do not change. */
describe.each(backends)('the fold cache on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, { ledger: { foldCacheSize: 3 } });
  });
  afterAll(async () => t.close());

  it('keeps at most its capacity, least recently used out first, and refolds who left', async () => {
    const users = [];
    for (let i = 0; i < 8; i++) {
      const u = await signUp(t.app);
      await t.services.ledger.grant(u.accountId, {
        operationId: opId('grant'),
        amount: 10 + i,
        source: 'promo',
        reason: 'test',
      });
      users.push(u);
      expect(t.services.ledger.cachedFolds).toBeLessThanOrEqual(3);
    }
    expect(t.services.ledger.cachedFolds).toBe(3);
    // Every account still reads and writes right, evicted or not.
    for (const [i, u] of users.entries()) {
      const r = await t.services.ledger.hold(u.accountId, {
        operationId: opId('hold'),
        kind: 'image',
        amount: 5,
        purpose: { kind: 'job', jobId: `job-${i}`, tool: 'generate' },
      });
      expect(r.status).toBe(201);
      expect((await t.services.ledger.wallet(u.accountId)).balances.image).toMatchObject({
        balance: 20 + 10 + i,
        held: 5,
      });
    }
    expect(t.services.ledger.cachedFolds).toBe(3);
  });
});
