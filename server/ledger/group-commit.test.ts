import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../shared/ledger/primitives';
import { ChainWriter } from '../../shared/ledger/writer';
import type { Sql } from '../db/database';
import { nodeChainDigest } from '../node-digest';
import { type TestServer, backends, opId, testServer } from '../testing/harness';
import { type AppendItem, GroupWriter, appendItems } from './group-writer';

const AT = '2026-11-02T10:00:00.000Z';

/** A new account straight in the table, at genesis (no sign-up entries to account for). */
async function bareAccount(t: TestServer): Promise<string> {
  const id = `acct_${randomBytes(6).toString('hex')}`;
  await t.db.query(
    'insert into accounts (id, email, password_hash, created_at, head_hash) values ($1, $2, $3, $4, $5)',
    [id, `${id}@example.com`, 'x', AT, GENESIS_HASH],
  );
  return id;
}

/** A grant of `amount` as the account's first entry, hashed and folded as the server does. */
function grantItem(account: string, amount: number, op = opId('grant')): AppendItem {
  const writer = new ChainWriter(account, { digest: nodeChainDigest });
  const entry = writer.append(
    {
      type: 'grant',
      operationId: op,
      reason: 'test',
      bucket: {
        bucketId: `b_${op}`,
        kind: 'image',
        source: 'promo',
        amount,
        costBasisCents: 0,
        effectiveAt: AT,
        expiresAt: null,
        priority: 100,
      },
    },
    AT,
  );
  return {
    account,
    expect: { seq: 0, hash: GENESIS_HASH, plan: 'free', daily: null, monthly: null },
    op,
    requestHash: `request-of-${op}`,
    entries: [
      {
        seq: entry.seq,
        hash: entry.hash,
        body: entry.body,
        type: 'grant',
        at: AT,
        operation_id: op,
        balances_after: JSON.stringify(writer.headBalances()),
      },
    ],
    head: { seq: entry.seq, hash: entry.hash, daily: null, monthly: null },
    timersSet: [],
    timersClear: [],
    status: 201,
    result: JSON.stringify({ seq: entry.seq }),
  };
}

const headOf = async (t: TestServer, account: string) =>
  (await t.db.query<{ head_seq: number }>('select head_seq from accounts where id = $1', [account]))
    .rows[0]?.head_seq;

// docs/architecture.md §2, §9: one statement stores many accounts' writes; each item is decided
// on its own, and one item's failure never undoes another's write.
describe.each(backends)('group commit on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, { ledger: { dailyCreditsByPlan: {} }, start: AT });
  });
  afterAll(async () => t.close());

  it('one ledger_append stores some accounts and refuses others, each on its own', async () => {
    const [a, stale, broken, c] = await Promise.all([1, 2, 3, 4].map(() => bareAccount(t)));
    const good = [grantItem(a!, 100), grantItem(c!, 300)];
    // Computed from a head the account does not have.
    const staleItem = {
      ...grantItem(stale!, 200),
      expect: { seq: 7, hash: GENESIS_HASH, plan: 'free', daily: null, monthly: null },
    };
    // Its two entries share a seq: the second insert fails after the first one went in.
    const brokenItem = grantItem(broken!, 50);
    brokenItem.entries.push({ ...brokenItem.entries[0]!, hash: 'f'.repeat(64) });

    const outcomes = await appendItems(t.db, [good[0]!, staleItem, brokenItem, good[1]!]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['ok', 'stale', 'error', 'ok']);
    expect(outcomes[2]).toMatchObject({ code: '23505' });

    // The stored chains fold (hash-checked) to what was granted; the others changed nothing.
    expect((await t.services.ledger.wallet(a!)).balances.image?.balance).toBe(100);
    expect((await t.services.ledger.wallet(c!)).balances.image?.balance).toBe(300);
    expect(await headOf(t, stale!)).toBe(0);
    expect(await headOf(t, broken!)).toBe(0);
    const { rows } = await t.db.query<{ n: number }>(
      'select count(*)::int as n from entries where account_id = $1',
      [broken],
    );
    expect(rows[0]?.n).toBe(0);

    // The same operation again is answered with its first result, and stores nothing more.
    const [again] = await appendItems(t.db, [good[0]!]);
    expect(again).toMatchObject({
      outcome: 'replay',
      requestHash: good[0]!.requestHash,
      status: 201,
      result: good[0]!.result,
    });
    expect(await headOf(t, a!)).toBe(1);
  });

  it('the group writer sends what waits as one batch and answers each caller', async () => {
    const accounts = await Promise.all(Array.from({ length: 12 }, () => bareAccount(t)));
    let statements = 0;
    const counting: Sql = {
      query: <R extends object>(text: string, params?: unknown[]) => {
        statements++;
        return t.db.query<R>(text, params);
      },
    };
    const writer = new GroupWriter(counting, 1);
    // Six submitted in one event-loop turn go together, at the end of the turn.
    const together = accounts.slice(0, 6);
    const outcomes = await Promise.all(
      together.map((account, i) => writer.submit(grantItem(account, 10 * (i + 1)))),
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(together.map(() => 'ok'));
    expect(statements).toBe(1);
    // One goes alone; the five that arrive while it is on its way wait for it, then go together.
    const [first, ...later] = accounts.slice(6);
    const alone = writer.submit(grantItem(first!, 70));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(statements).toBe(2);
    const rest = later.map((account, i) => writer.submit(grantItem(account, 80 + 10 * i)));
    expect((await Promise.all([alone, ...rest])).map((o) => o.outcome)).toEqual(
      accounts.slice(6).map(() => 'ok'),
    );
    expect(statements).toBe(3);
    for (const [i, account] of accounts.entries())
      expect((await t.services.ledger.wallet(account)).balances.image?.balance).toBe(10 * (i + 1));
  });

  it('holds on many accounts at once through the ledger: fewer statements than writes', async () => {
    const accounts = await Promise.all(Array.from({ length: 12 }, () => bareAccount(t)));
    // A first write each, so this instance knows every head.
    for (const account of accounts)
      await t.services.ledger.grant(account, {
        operationId: opId('g'),
        amount: 60,
        source: 'promo',
        reason: 'test',
      });
    const real = t.db.query.bind(t.db);
    let appends = 0;
    t.db.query = ((text: string, params?: unknown[]) => {
      if (text.includes('ledger_append')) appends++;
      return real(text, params);
    }) as typeof t.db.query;
    try {
      const holds = await Promise.all(
        accounts.map((account) =>
          t.services.ledger.hold(account, {
            operationId: opId('h'),
            kind: 'image',
            amount: 6,
            purpose: { kind: 'job', jobId: 'j', tool: 'generate' },
          }),
        ),
      );
      expect(holds.map((h) => h.status)).toEqual(accounts.map(() => 201));
      expect(new Set(holds.map((h) => h.body.holdId)).size).toBe(accounts.length);
      expect(appends).toBeGreaterThan(0);
      expect(appends).toBeLessThan(accounts.length);
    } finally {
      t.db.query = real;
    }
    for (const account of accounts)
      expect((await t.services.ledger.wallet(account)).balances.image).toMatchObject({
        balance: 60,
        available: 54,
      });
  });
});

// The limits a write from a known head was checked against are checked again under the row
// lock: a limit set through another instance (no entry, the head does not move) still applies.
describe('group commit: spending limits set on another instance', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer('postgres', { ledger: { dailyCreditsByPlan: {} }, start: AT });
  });
  afterAll(async () => t.close());

  it('a hold from this instance after a limit set on the other is refused (403)', async () => {
    const other = await t.anotherInstance();
    const account = await bareAccount(t);
    const hold = (amount: number) =>
      t.services.ledger.hold(account, {
        operationId: opId('h'),
        kind: 'image',
        amount,
        purpose: { kind: 'job', jobId: 'j', tool: 'generate' },
      });
    await t.services.ledger.grant(account, {
      operationId: opId('g'),
      amount: 100,
      source: 'promo',
      reason: 'test',
    });
    // This instance now knows the head and that there are no limits.
    expect((await hold(5)).status).toBe(201);
    await other.services.spendingLimits.set(account, { daily: 10, monthly: null });
    await expect(hold(6)).rejects.toMatchObject({ status: 403, code: 'spending-limit' });
    expect((await hold(5)).status).toBe(201);
    expect((await t.services.ledger.wallet(account)).balances.image?.available).toBe(90);
  });
});
