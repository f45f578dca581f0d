import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullResponse } from '../../shared/api/ledger';
import type { WireEntry } from '../../shared/ledger/entry';
import { verifyChain } from '../../shared/ledger/verify';
import { parseEntry } from '../../shared/ledger/chain';
import { fold } from '../../shared/wallet/fold';
import { testServerKeys } from '../../shared/testing/ledger-fixture';
import {
  type TestServer,
  backends,
  opId,
  signUp,
  testServer,
  twoListeningInstances,
} from '../testing/harness';

/**
 * 200 holds of 6 from 4 devices against 1,000 credits, sent at once over real HTTP to the given
 * instances in turn: exactly 166 succeed, 4 are left, and the chain verifies.
 */
async function overdraftScenario(t: TestServer, bases: readonly string[]): Promise<void> {
  const user = await signUp(t.app);
  await t.services.ledger.grant(user.accountId, {
    operationId: opId('grant'),
    amount: 1000,
    source: 'promo',
    reason: 'test',
  });
  const baseOf = (i: number): string => bases[i % bases.length] ?? '';
  // Four devices, each its own session.
  const sessions = [user.token];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${baseOf(i)}/v1/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: 'correct horse battery' }),
    });
    sessions.push(((await res.json()) as { token: string }).token);
  }
  const statuses = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const res = await fetch(`${baseOf(i)}/v1/ledger/holds`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${sessions[i % 4]}`,
        },
        body: JSON.stringify({
          operationId: opId('hold'),
          amount: 6,
          purpose: { kind: 'job', jobId: `job-${i}`, tool: 'generate' },
        }),
      });
      return res.status;
    }),
  );
  expect(statuses.filter((s) => s === 201)).toHaveLength(166);
  expect(statuses.filter((s) => s === 402)).toHaveLength(34);

  for (let i = 0; i < bases.length; i++) {
    const balance = await (
      await fetch(`${baseOf(i)}/v1/ledger/balance`, {
        headers: { authorization: `Bearer ${sessions[0]}` },
      })
    ).json();
    expect(balance.balances.image).toMatchObject({ balance: 1000, held: 996, available: 4 });
  }

  // The whole chain verifies against the signed checkpoint and folds to the same numbers.
  const entries: WireEntry[] = [];
  let after = 0;
  let last: PullResponse | undefined;
  do {
    const res = await fetch(`${baseOf(after)}/v1/ledger/entries?after=${after}&limit=50`, {
      headers: { authorization: `Bearer ${sessions[1]}` },
    });
    last = PullResponse.parse(await res.json());
    const verdict = verifyChain(last.entries, last.checkpoint, testServerKeys, {
      accountId: user.accountId,
      from: after === 0 ? undefined : { seq: after, hash: entries.at(-1)!.hash },
    });
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    entries.push(...last.entries);
    after = last.checkpoint.checkpoint.seq;
  } while (after < last.headSeq);
  expect(entries).toHaveLength(1 + 166);
  const state = fold(
    entries.map((e) => parseEntry(e).data),
    t.clock.now(),
  );
  expect(state.balances.image).toMatchObject({ available: 4, held: 996 });
  for (const b of state.buckets) expect(b.remaining - b.held).toBeGreaterThanOrEqual(0);
  expect(last.checkpoint.checkpoint.balances).toEqual({ image: 1000 });
}

describe.each(backends)('concurrent holds on %s', (backend) => {
  let t: TestServer;
  let base = '';
  beforeAll(async () => {
    t = await testServer(backend, { ledger: { dailyCreditsByPlan: {} } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => t.close());

  it('200 holds of 6 from 4 devices against 1,000 credits: exactly 166 succeed, 4 left, chain verifies', async () => {
    await overdraftScenario(t, [base]);
  });
});

// docs/architecture.md §2: the row lock, not the in-process AccountLocks, is what serialises
// several API instances; with requests alternating between two, only it prevents an overdraft.
describe('concurrent holds on two instances over one PostgreSQL', () => {
  let t: TestServer;
  let bases: string[] = [];
  beforeAll(async () => {
    ({ t, bases } = await twoListeningInstances());
  });
  afterAll(async () => t.close());

  it('200 holds alternating between the instances: exactly 166 succeed, 4 left, chain verifies', async () => {
    await overdraftScenario(t, bases);
  });
});
