import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoTopupResponse } from '../../shared/api/auto-topup';
import { PurchaseListResponse } from '../../shared/api/purchase-list';
import { buildApp } from '../http/app';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';
import { customerStore } from './customers';
import { type Purchases, createPurchases } from './purchases';
import { registerPurchaseRoutes } from './routes';
import { type PurchaseServer, purchaseServer } from './testing/purchase-server';
import { StripeStandIn } from './testing/stripe-stand-in';

type User = Awaited<ReturnType<typeof signUp>>;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

// docs/architecture.md §7: the sandbox's receipts and auto top-up, without money.
describe.each(backends)('sandbox receipts and auto top-up on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend);
  });
  afterAll(async () => t.close());

  const get = (url: string, u?: User) =>
    t.app.inject({ method: 'GET', url, ...(u ? { headers: u.headers } : {}) });
  const pathOf = (url: string) => `${new URL(url).pathname}${new URL(url).search}`;
  /** Starts a checkout and pays it on the sandbox page, keeping the card as chosen. */
  const buy = async (
    u: User,
    card: 'none' | 'card' | 'auth-card' = 'none',
    itemId = 'pack-100',
  ) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId },
    });
    const c = res.json<{ sessionId: string; url: string }>();
    const page = await get(pathOf(c.url));
    expect(page.body).toContain(
      itemId.startsWith('pack') ? 'Keep this card for auto top-up?' : 'Buy',
    );
    const u2 = new URL(c.url);
    const paid = await t.app.inject({
      method: 'POST',
      url: `${u2.pathname}/pay${u2.search}`,
      headers: form,
      payload: `card=${card}`,
    });
    expect(paid.statusCode).toBe(303);
    return c;
  };
  const list = async (u: User) =>
    PurchaseListResponse.parse((await get('/v1/purchases', u)).json()).purchases;
  const topup = async (u: User) =>
    AutoTopupResponse.parse((await get('/v1/account/auto-topup', u)).json());
  const hold = async (u: User, amount: number) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/ledger/holds',
      headers: u.headers,
      payload: {
        operationId: opId('hold'),
        amount,
        purpose: { kind: 'job', jobId: `job-${opId()}`, tool: 'generate' },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    await Promise.all([...t.purchases.autoTopups.charging]);
  };
  const available = async (u: User) =>
    (await t.services.ledger.wallet(u.accountId)).balances.image?.available ?? 0;

  it('a paid checkout gets a receipt page (sandbox-marked, only at its key) listed with the purchase', async () => {
    const u = await signUp(t.app);
    const c = await buy(u);
    const [p] = await list(u);
    expect(p).toMatchObject({
      purchaseId: `sandbox:${c.sessionId}`,
      provider: 'sandbox',
      via: 'checkout',
      priceCents: 990,
      credits: 100,
    });
    const receipt = await get(pathOf(p?.receiptUrl ?? ''));
    expect(receipt.statusCode).toBe(200);
    expect(receipt.headers['content-security-policy']).toContain("default-src 'none'");
    expect(receipt.body).toContain('Sandbox — no real payment was made.');
    expect(receipt.body).toContain('100 credits');
    expect(receipt.body).toContain('$9.90 (sandbox)');
    // A refund shows on the receipt and in the list.
    await t.purchases.sandbox.refund(c.sessionId);
    expect((await list(u))[0]?.reversals).toMatchObject([{ reason: 'refunded', amountCents: 990 }]);
    expect((await get(pathOf(p?.receiptUrl ?? ''))).body).toContain('Refunded');
    for (const key of ['rcpt_' + '0'.repeat(32), 'x', `${'rcpt_'}${'g'.repeat(32)}`])
      expect((await get(`/receipts/${key}`)).statusCode).toBe(404);
    // Another account sees none of it.
    expect(await list(await signUp(t.app))).toEqual([]);
  });

  it('auto top-up buys the pack at once on a crossing, lists it, and re-arms above the threshold', async () => {
    const u = await signUp(t.app);
    await t.app.inject({
      method: 'POST',
      url: '/v1/account/auto-topup',
      headers: u.headers,
      payload: { enabled: true, threshold: 50, itemId: 'pack-100', monthlyCapCents: 5000 },
    });
    await buy(u, 'card');
    expect((await topup(u)).paymentMethod).toEqual({ label: 'Sandbox test card ending 4242' });
    await hold(u, 80); // 120 → 40: crossed, bought at once
    expect(await available(u)).toBe(140);
    const purchases = await list(u);
    expect(purchases.map((p) => p.via)).toEqual(['auto-topup', 'checkout']);
    expect(purchases[0]?.receiptUrl).toMatch(/\/receipts\/rcpt_/);
    expect((await topup(u)).recent.map((r) => r.status)).toEqual(['succeeded']);
    await hold(u, 100); // 40 again: a second crossing
    expect(await available(u)).toBe(140);
    expect((await topup(u)).spentThisMonthCents).toBe(1980);
  });

  it('off by default, and nothing without a saved card but a message', async () => {
    const u = await signUp(t.app);
    await buy(u);
    await hold(u, 80);
    expect((await topup(u)).recent).toEqual([]);
    await t.app.inject({
      method: 'POST',
      url: '/v1/account/auto-topup',
      headers: u.headers,
      payload: { enabled: true, threshold: 30, itemId: 'pack-100', monthlyCapCents: 5000 },
    });
    await hold(u, 20);
    const view = await topup(u);
    expect(view.recent[0]).toMatchObject({ status: 'failed' });
    expect(view.recent[0]?.message).toMatch(/no card is saved/);
    expect(await available(u)).toBe(20);
  });

  it('a card whose bank asks for authentication: nothing bought, the user is told', async () => {
    const u = await signUp(t.app);
    await t.app.inject({
      method: 'POST',
      url: '/v1/account/auto-topup',
      headers: u.headers,
      payload: { enabled: true, threshold: 50, itemId: 'pack-100', monthlyCapCents: 5000 },
    });
    await buy(u, 'auth-card');
    await hold(u, 80);
    expect(await available(u)).toBe(40);
    expect((await topup(u)).recent[0]).toMatchObject({ status: 'action-required' });
  });
});

/** Two API instances over one PostgreSQL, each with purchases wired to one Stripe stand-in (or the sandbox). */
async function twoPurchaseInstances(opts: { sandbox?: boolean } = {}): Promise<{
  t: TestServer;
  bases: string[];
  standIn: StripeStandIn;
  instances: Purchases[];
}> {
  const t = await testServer('postgres', { ledger: { dailyCreditsByPlan: {} } });
  const other = await t.anotherInstance();
  const standIn = await new StripeStandIn(() =>
    Math.floor(Date.parse(t.clock.now()) / 1000),
  ).start();
  const bases: string[] = [];
  const instances: Purchases[] = [];
  for (const services of [t.services, other.services]) {
    const purchases = createPurchases(services, {
      publicUrl: 'http://127.0.0.1:4780',
      stripe: opts.sandbox
        ? null
        : {
            secretKey: 'sk_test_standin',
            webhookSecret: 'whsec_standin_0123456789abcdef',
            apiHost: '127.0.0.1',
            apiPort: standIn.port,
            apiProtocol: 'http',
            maxNetworkRetries: 0,
          },
    });
    const app = buildApp(services, {
      extend: (a, route, accountOf) => registerPurchaseRoutes(a, route, accountOf, purchases),
    });
    bases.push(await app.listen({ port: 0, host: '127.0.0.1' }));
    instances.push(purchases);
    const close = t.close.bind(t);
    t.close = async () => {
      await app.close();
      await close();
    };
  }
  const close = t.close.bind(t);
  t.close = async () => {
    await close();
    await standIn.stop();
  };
  return { t, bases, standIn, instances };
}

// docs/architecture.md §7: the crossing is seen inside the ledger write, under the account's
// row lock; with spends alternating between two instances, only that keeps a crossing to one
// top-up and the cap to its sum.
describe('auto top-up with two instances over one PostgreSQL', () => {
  let env: Awaited<ReturnType<typeof twoPurchaseInstances>>;
  beforeAll(async () => {
    env = await twoPurchaseInstances();
  });
  afterAll(async () => env.t.close());

  const race = async (u: User, holds: number, amount: number) =>
    Promise.all(
      Array.from({ length: holds }, async (_, i) => {
        const res = await fetch(`${env.bases[i % 2]}/v1/ledger/holds`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...u.headers },
          body: JSON.stringify({
            operationId: opId('hold'),
            amount,
            purpose: { kind: 'job', jobId: `job-${i}`, tool: 'generate' },
          }),
        });
        return res.status;
      }),
    );
  const settle = () => Promise.all(env.instances.flatMap((p) => [...p.autoTopups.charging]));
  const intents = (u: User) =>
    [...env.standIn.paymentIntents.values()].filter(
      (p) => (p.metadata as Record<string, string> | undefined)?.accountId === u.accountId,
    );

  const funded = async (threshold: number, capCents: number) => {
    const { t, standIn } = env;
    const u = await signUp(t.app);
    await t.services.ledger.grant(u.accountId, {
      operationId: opId('grant'),
      amount: 200,
      source: 'promo',
      reason: 'test',
    });
    const customer = `cus_race${opId().replace(/[^A-Za-z0-9]/g, '')}`;
    const card = standIn.newCard(customer);
    await customerStore.savePaymentMethod(t.db, {
      accountId: u.accountId,
      provider: 'stripe',
      customerRef: customer,
      ref: card,
      label: 'visa ending 4242',
      now: t.clock.now(),
    });
    // Through an instance with purchases (the harness's own app has none).
    const res = await fetch(`${env.bases[0]}/v1/account/auto-topup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...u.headers },
      body: JSON.stringify({
        enabled: true,
        threshold,
        itemId: 'pack-100',
        monthlyCapCents: capCents,
      }),
    });
    expect(res.status).toBe(200);
    return u;
  };

  it('40 concurrent holds of 5 from 200 across a threshold of 150: exactly one top-up', async () => {
    const u = await funded(150, 100_000);
    const statuses = await race(u, 40, 5);
    await settle();
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect(intents(u)).toHaveLength(1);
    const { rows } = await env.t.db.query<{ status: string }>(
      'select status from auto_topups where account_id = $1',
      [u.accountId],
    );
    expect(rows.map((r) => r.status)).toEqual(['processing']);
  });
});

// The cap is checked in the same locked write as the crossing: sandbox top-ups pay at once, so
// spends racing on two instances cross again and again; the month's top-ups never pass the cap.
describe('the auto top-up cap with two instances over one PostgreSQL (sandbox)', () => {
  let env: Awaited<ReturnType<typeof twoPurchaseInstances>>;
  beforeAll(async () => {
    env = await twoPurchaseInstances({ sandbox: true });
  });
  afterAll(async () => env.t.close());

  it('100 concurrent holds of 5 from 200, threshold 150, cap $19.80: two top-ups, the rest capped', async () => {
    const { t, bases, instances } = env;
    const u = await signUp(t.app);
    await t.services.ledger.grant(u.accountId, {
      operationId: opId('grant'),
      amount: 200,
      source: 'promo',
      reason: 'test',
    });
    await customerStore.savePaymentMethod(t.db, {
      accountId: u.accountId,
      provider: 'sandbox',
      customerRef: `sbx_cus_${u.accountId}`,
      ref: 'sbx_pm_race',
      label: 'Sandbox test card ending 4242',
      now: t.clock.now(),
    });
    const set = await fetch(`${bases[0]}/v1/account/auto-topup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...u.headers },
      body: JSON.stringify({
        enabled: true,
        threshold: 150,
        itemId: 'pack-100',
        monthlyCapCents: 1980,
      }),
    });
    expect(set.status).toBe(200);
    // In waves, so top-ups paid between them bring the balance back over the threshold.
    for (let wave = 0; wave < 5; wave++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) =>
          fetch(`${bases[i % 2]}/v1/ledger/holds`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...u.headers },
            body: JSON.stringify({
              operationId: opId('hold'),
              amount: 5,
              purpose: { kind: 'job', jobId: `job-${wave}-${i}`, tool: 'generate' },
            }),
          }),
        ),
      );
      await Promise.all(instances.flatMap((p) => [...p.autoTopups.charging]));
    }
    const { rows } = await t.db.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from auto_topups where account_id = $1 group by status order by status',
      [u.accountId],
    );
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    expect(by.succeeded).toBe(2);
    expect(by.capped ?? 0).toBeGreaterThanOrEqual(1);
    const paid = await t.db.query<{ n: number }>(
      'select count(*)::int as n from sandbox_payments where account_id = $1',
      [u.accountId],
    );
    expect(paid.rows[0]?.n).toBe(2);
  });
});
