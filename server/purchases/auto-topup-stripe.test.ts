import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoTopupResponse } from '../../shared/api/auto-topup';
import { PurchaseListResponse } from '../../shared/api/purchase-list';
import { backends, opId, signUp } from '../testing/harness';
import { reconcile } from './reconcile';
import {
  type PurchaseServer,
  purchaseServer,
  stripeStandIn,
  webhookOutcome,
} from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;

// docs/architecture.md §7, receipts and auto top-up: the real SDK against the Stripe stand-in.
describe.each(backends)('Stripe receipts and auto top-up on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend, { stripe: true });
  });
  afterAll(async () => t.close());

  const standIn = () => stripeStandIn(t);
  const event = (type: string, object: Record<string, unknown>) =>
    standIn().event(type, object).payload;
  const checkout = async (u: User, itemId = 'pack-100') => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<{ sessionId: string }>();
    const session = [...standIn().sessions.values()].find(
      (s) => s.client_reference_id === body.sessionId,
    );
    if (!session) throw new Error('no session at the stand-in');
    return { ...body, stripeSessionId: String(session.id), session };
  };
  const buy = async (u: User, card: 'ok' | 'requiresAuth' | 'declines' = 'ok') => {
    const c = await checkout(u);
    const paid = standIn().pay(c.stripeSessionId, { card });
    expect(await webhookOutcome(t, event('checkout.session.completed', paid))).toBe('credited');
    return { ...c, paid };
  };
  const list = async (u: User) =>
    PurchaseListResponse.parse(
      (await t.app.inject({ method: 'GET', url: '/v1/purchases', headers: u.headers })).json(),
    ).purchases;
  const topup = async (u: User) =>
    AutoTopupResponse.parse(
      (
        await t.app.inject({ method: 'GET', url: '/v1/account/auto-topup', headers: u.headers })
      ).json(),
    );
  const setTopup = (u: User, body: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/account/auto-topup',
      headers: u.headers,
      payload: body,
    });
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
  const intentsOf = (u: User) =>
    [...standIn().paymentIntents.values()].filter(
      (p) =>
        (p.metadata as Record<string, string> | undefined)?.accountId === u.accountId &&
        (p.metadata as Record<string, string>).autoTopupId !== undefined,
    );

  it('the OpenAPI document names the purchase list with receipts and auto top-up', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(doc.paths['/v1/purchases']?.get?.summary).toMatch(/receipt link, refunds and disputes/);
    const topupPath = doc.paths['/v1/account/auto-topup'];
    expect(Object.keys(topupPath ?? {}).sort()).toEqual(['get', 'post']);
    expect(topupPath.post.summary).toMatch(/^Set auto top-up \(opt-in\)/);
  });

  it('a pack checkout names the account’s customer and asks for an invoice, whose page is the receipt in GET /v1/purchases', async () => {
    const u = await signUp(t.app);
    const { paid, session } = await buy(u);
    expect(String(session.customer)).toMatch(/^cus_/);
    expect(session.invoice_creation).toMatchObject({ enabled: true });
    const made = standIn().requests.filter((r) => r.path === '/v1/customers');
    expect(made.at(-1)?.idempotencyKey).toBe(`easel-customer-${u.accountId}`);
    // A second checkout reuses the customer without asking Stripe again.
    const calls = made.length;
    const again = await checkout(u, 'pack-500');
    expect(again.session.customer).toBe(session.customer);
    expect(standIn().requests.filter((r) => r.path === '/v1/customers')).toHaveLength(calls);

    const invoice = standIn().invoices.get(String(paid.invoice));
    expect(invoice?.hosted_invoice_url).toMatch(/^https:\/\/invoice\.stripe\.test\//);
    const [p, ...rest] = await list(u);
    expect(rest).toHaveLength(0);
    expect(p).toMatchObject({
      purchaseId: `stripe:${String(paid.id)}`,
      provider: 'stripe',
      itemId: 'pack-100',
      title: '100 credits',
      via: 'checkout',
      priceCents: 990,
      currency: 'usd',
      credits: 100,
      receiptUrl: invoice?.hosted_invoice_url,
      reversals: [],
    });

    // A partial refund shows on the purchase.
    const refunded = standIn().refund(String(paid.payment_intent), 495);
    expect(await webhookOutcome(t, event('charge.refunded', refunded))).toBe('reversed');
    expect((await list(u))[0]?.reversals).toEqual([
      { reason: 'refunded', amountCents: 495, at: expect.any(String) as string },
    ]);
  });

  it('a plan month’s receipt is its invoice page, and a renewal is listed as such', async () => {
    const u = await signUp(t.app);
    const c = await checkout(u, 'pro');
    const paid = standIn().pay(c.stripeSessionId);
    await webhookOutcome(t, event('checkout.session.completed', paid));
    const first = standIn().invoices.get(String(paid.invoice));
    if (!first) throw new Error('no invoice');
    expect(await webhookOutcome(t, event('invoice.paid', first))).toBe('credited');
    const renewal = standIn().renew(String(paid.subscription));
    expect(await webhookOutcome(t, event('invoice.paid', renewal))).toBe('credited');
    const purchases = await list(u);
    expect(purchases.map((p) => [p.via, p.credits, p.receiptUrl])).toEqual([
      ['renewal', 1000, renewal.hosted_invoice_url],
      ['checkout', 1000, first.hosted_invoice_url],
    ]);
  });

  it('refuses bad auto top-up settings with a clear 400 and keeps the old ones', async () => {
    const u = await signUp(t.app);
    const good = { enabled: true, threshold: 50, itemId: 'pack-100', monthlyCapCents: 5000 };
    expect((await setTopup(u, good)).statusCode).toBe(200);
    const bad = [
      [{ ...good, itemId: 'pro' }, 'unknown-pack'],
      [{ ...good, itemId: 'nope' }, 'unknown-pack'],
      [{ ...good, monthlyCapCents: 500 }, 'cap-below-price'],
      [{ ...good, threshold: 0 }, 'invalid-request'],
      [{ ...good, threshold: 1.5 }, 'invalid-request'],
      [{ enabled: true }, 'invalid-request'],
    ] as const;
    for (const [body, code] of bad) {
      const res = await setTopup(u, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe(code);
    }
    expect((await topup(u)).settings).toEqual(good);
  });

  it('saves the card at a checkout, charges it off session once per crossing, and credits on payment_intent.succeeded', async () => {
    const u = await signUp(t.app);
    const set = await setTopup(u, {
      enabled: true,
      threshold: 50,
      itemId: 'pack-100',
      monthlyCapCents: 5000,
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().paymentMethod).toBeNull();
    const { session } = await buy(u);
    expect(session._setup_future_usage).toBe('off_session');
    expect(session.metadata).toMatchObject({ saveCard: 'off_session' });
    expect((await topup(u)).paymentMethod).toEqual({ label: 'visa ending 4242' });
    expect(await available(u)).toBe(120); // 20 daily + 100

    await hold(u, 60); // 60 left: above the threshold
    expect(intentsOf(u)).toHaveLength(0);
    await hold(u, 20); // 40: crossed
    const intents = intentsOf(u);
    expect(intents).toHaveLength(1);
    const request = standIn()
      .requests.filter((r) => r.path === '/v1/payment_intents')
      .at(-1);
    const view = await topup(u);
    expect(view.recent[0]).toMatchObject({ status: 'processing', amountCents: 990 });
    expect(request?.idempotencyKey).toBe(`easel-topup-${view.recent[0]?.topupId}`);
    expect(request?.params).toMatchObject({
      off_session: 'true',
      confirm: 'true',
      amount: '990',
      currency: 'usd',
      customer: session.customer,
    });
    // Still below, no new crossing: nothing more is charged.
    await hold(u, 5);
    expect(intentsOf(u)).toHaveLength(1);
    expect(await available(u)).toBe(35); // not credited before the webhook

    const pi = intents[0];
    if (!pi) throw new Error('no payment intent');
    const payload = event('payment_intent.succeeded', standIn().paymentIntent(String(pi.id)));
    expect(await webhookOutcome(t, payload)).toBe('auto-topup:credited');
    expect(await available(u)).toBe(135);
    const again = event('payment_intent.succeeded', standIn().paymentIntent(String(pi.id)));
    expect(await webhookOutcome(t, again)).toBe('auto-topup:already-credited');
    expect(await available(u)).toBe(135);
    // Reconcile finds the payment Stripe took beside the ledger's purchase: nothing to flag.
    const report = await reconcile(t.purchases, '2026-11-01');
    const line = report.lines.find((l) => l.purchaseId === `stripe:${String(pi.id)}`);
    expect(line?.payment).toMatchObject({ amountCents: 990, accountId: u.accountId });
    expect(line?.credited).toHaveLength(1);
    expect(report.issues.filter((i) => i.purchaseId === `stripe:${String(pi.id)}`)).toEqual([]);
    expect((await topup(u)).recent[0]?.status).toBe('succeeded');
    expect((await topup(u)).spentThisMonthCents).toBe(990);
    const [p] = await list(u);
    expect(p).toMatchObject({
      purchaseId: `stripe:${String(pi.id)}`,
      via: 'auto-topup',
      priceCents: 990,
      credits: 100,
      receiptUrl: `https://pay.stripe.test/receipts/payment/${String(pi.id)}`,
    });
    // A refund of the top-up takes its credits back through the usual reversal path.
    const refunded = standIn().refund(String(pi.id));
    expect(await webhookOutcome(t, event('charge.refunded', refunded))).toBe('reversed');
    expect(await available(u)).toBe(35);
    expect((await list(u))[0]?.reversals).toMatchObject([{ reason: 'refunded', amountCents: 990 }]);
  });

  it('when the bank asks for authentication nothing is charged and the user is told', async () => {
    const u = await signUp(t.app);
    await setTopup(u, { enabled: true, threshold: 50, itemId: 'pack-100', monthlyCapCents: 5000 });
    await buy(u, 'requiresAuth');
    await hold(u, 80);
    const view = await topup(u);
    expect(view.recent[0]).toMatchObject({ status: 'action-required' });
    expect(view.recent[0]?.message).toMatch(/bank asks you to confirm/);
    expect(view.spentThisMonthCents).toBe(0);
    expect(await available(u)).toBe(40);
    const req = standIn()
      .requests.filter((r) => r.path === '/v1/payment_intents')
      .at(-1);
    expect(req?.params).toMatchObject({ off_session: 'true', confirm: 'true' });
    // Stripe's payment_intent.payment_failed for it says the same.
    const failed = [...standIn().paymentIntents.values()].find(
      (p) =>
        (p.metadata as Record<string, string> | undefined)?.autoTopupId === view.recent[0]?.topupId,
    );
    if (!failed) throw new Error('no failed intent');
    expect(await webhookOutcome(t, event('payment_intent.payment_failed', failed))).toBe(
      'auto-topup:action-required',
    );
    expect((await list(u)).filter((p) => p.via === 'auto-topup')).toHaveLength(0);
  });

  it('a top-up whose payment request failed (Stripe unreachable) is asked for again, under the same key', async () => {
    const u = await signUp(t.app);
    await setTopup(u, { enabled: true, threshold: 50, itemId: 'pack-100', monthlyCapCents: 5000 });
    await buy(u);
    await standIn().stop();
    try {
      await hold(u, 80);
    } finally {
      await standIn().restart();
    }
    const stuck = (await topup(u)).recent[0];
    expect(stuck).toMatchObject({ status: 'pending' });
    expect(intentsOf(u)).toHaveLength(0);
    // Another spend below the threshold is no new crossing, and a pending top-up blocks another.
    await hold(u, 5);
    expect((await topup(u)).recent).toHaveLength(1);
    t.clock.advance(3 * 60_000);
    const view = await topup(u);
    expect(view.recent).toHaveLength(1);
    expect(view.recent[0]).toMatchObject({ topupId: stuck?.topupId, status: 'processing' });
    expect(intentsOf(u)).toHaveLength(1);
    const keys = standIn()
      .requests.filter((r) => r.path === '/v1/payment_intents' && r.method === 'POST')
      .map((r) => r.idempotencyKey);
    expect(keys.at(-1)).toBe(`easel-topup-${stuck?.topupId}`);
  });

  it('the monthly cap holds: a crossing past it charges nothing and says so', async () => {
    const u = await signUp(t.app);
    await setTopup(u, { enabled: true, threshold: 50, itemId: 'pack-100', monthlyCapCents: 1980 });
    await buy(u);
    const credit = async () => {
      const pi = intentsOf(u).at(-1);
      if (!pi) throw new Error('no intent');
      await webhookOutcome(
        t,
        event('payment_intent.succeeded', standIn().paymentIntent(String(pi.id))),
      );
    };
    await hold(u, 80); // 120 → 40: first top-up
    await credit(); // 140
    await hold(u, 100); // 40: second
    await credit(); // 140
    await hold(u, 100); // 40: the third would pass 1980
    expect(intentsOf(u)).toHaveLength(2);
    const view = await topup(u);
    expect(view.recent.map((r) => r.status)).toEqual(['capped', 'succeeded', 'succeeded']);
    expect(view.recent[0]?.message).toMatch(/cap of 19\.80 USD/);
    expect(view.spentThisMonthCents).toBe(1980);
  });
});
