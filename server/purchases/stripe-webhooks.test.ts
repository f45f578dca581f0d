import { LEVEL } from '../../shared/log/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../clock';
import { backends, entryCount, headSeq, opId, signUp } from '../testing/harness';
import {
  type PurchaseServer,
  type WebhookOptions,
  deliverWebhook,
  pullVerified,
  purchaseServer,
  stripeSignature,
  stripeStandIn,
} from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;
const job = { kind: 'job', jobId: 'job-1', tool: 'generate' } as const;

describe.each(backends)('Stripe purchases on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend, { stripe: true });
  });
  afterAll(async () => t.close());

  const standIn = () => stripeStandIn(t);
  const deliver = (payload: string, opts: WebhookOptions = {}) => deliverWebhook(t, payload, opts);
  const event = (type: string, object: Record<string, unknown>) =>
    standIn().event(type, object).payload;
  const checkout = async (u: User, itemId = 'pack-100', operationId?: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId, ...(operationId ? { operationId } : {}) },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    const body = res.json<{ sessionId: string; url: string; provider: string }>();
    const session = [...standIn().sessions.values()].find(
      (s) => s.client_reference_id === body.sessionId,
    );
    if (!session) throw new Error('no session at the stand-in');
    return { ...body, stripeSessionId: String(session.id) };
  };
  const balance = async (u: User) => (await t.services.ledger.wallet(u.accountId)).balances.image;
  const status = async (u: User, sessionId: string) =>
    (
      await t.app.inject({ method: 'GET', url: `/v1/purchases/${sessionId}`, headers: u.headers })
    ).json<{ status: string; purchaseId: string | null; seq: number | null; reversed: boolean }>();

  it('creates a Checkout Session through the SDK: payment mode, metadata, idempotency key', async () => {
    const u = await signUp(t.app);
    const op = opId('buy');
    const first = await checkout(u, 'pack-100', op);
    expect(first.provider).toBe('stripe');
    expect(first.url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
    const session = standIn().sessions.get(first.stripeSessionId);
    expect(session).toMatchObject({
      mode: 'payment',
      amount_total: 990,
      currency: 'usd',
      metadata: { checkoutId: first.sessionId, accountId: u.accountId, itemId: 'pack-100' },
      _payment_intent_metadata: { checkoutId: first.sessionId },
      success_url: `http://127.0.0.1:4780/purchases/${first.sessionId}/success`,
      cancel_url: `http://127.0.0.1:4780/purchases/${first.sessionId}/cancelled`,
    });
    const created = standIn().requests.filter(
      (r) => r.method === 'POST' && r.path === '/v1/checkout/sessions',
    );
    expect(created.at(-1)?.idempotencyKey).toBe(`easel-checkout-${first.sessionId}`);
    expect(created.at(-1)?.authorization).toBe('Bearer sk_test_standin');
    const calls = created.length;
    // The same operation id answers with the same checkout, without asking Stripe again.
    const again = await checkout(u, 'pack-100', op);
    expect(again.sessionId).toBe(first.sessionId);
    expect(again.url).toBe(first.url);
    expect(
      standIn().requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions'),
    ).toHaveLength(calls);
  });

  it('credits a paid checkout.session.completed once, with a 30-day paid bucket', async () => {
    const u = await signUp(t.app);
    const before = await balance(u);
    const c = await checkout(u);
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'open', purchaseId: null });
    const paid = standIn().pay(c.stripeSessionId);
    const res = await deliver(event('checkout.session.completed', paid));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ received: true, duplicate: false, outcome: 'credited' });
    expect((await balance(u))?.balance).toBe((before?.balance ?? 0) + 100);

    const { bodies } = await pullVerified(t.app, u);
    const purchases = bodies.filter((b) => b.type === 'purchase');
    expect(purchases).toHaveLength(1);
    const p = purchases[0];
    if (p?.type !== 'purchase') throw new Error('no purchase');
    expect(p).toMatchObject({
      purchaseId: `stripe:${c.stripeSessionId}`,
      operationId: `stripe:${c.stripeSessionId}`,
      provider: 'stripe',
      paymentRef: paid.payment_intent,
      itemId: 'pack-100',
      priceCents: 990,
      currency: 'usd',
    });
    expect(p.buckets).toEqual([
      {
        bucketId: `stripe:${c.stripeSessionId}:pack`,
        kind: 'image',
        source: 'pack',
        amount: 100,
        costBasisCents: 990,
        effectiveAt: p.at,
        expiresAt: new Date(Date.parse(p.at) + 30 * DAY).toISOString(),
        priority: 100,
      },
    ]);
    expect(await status(u, c.sessionId)).toMatchObject({
      status: 'complete',
      purchaseId: `stripe:${c.stripeSessionId}`,
      seq: p.seq,
      reversed: false,
    });
  });

  it('credits once when the same event arrives 5 times, and when another event repeats the payment', async () => {
    const u = await signUp(t.app);
    const c = await checkout(u, 'pack-500');
    const paid = standIn().pay(c.stripeSessionId);
    const payload = event('checkout.session.completed', paid);
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await deliver(payload);
      expect(res.statusCode).toBe(200);
      outcomes.push(res.json<{ outcome: string }>().outcome);
    }
    expect(outcomes).toEqual(['credited', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    // Concurrent deliveries of a fresh event id for the same session: still one credit.
    const other = event('checkout.session.async_payment_succeeded', paid);
    const concurrent = await Promise.all([deliver(other), deliver(other), deliver(other)]);
    expect(concurrent.every((r) => r.statusCode === 200)).toBe(true);
    const { bodies } = await pullVerified(t.app, u);
    expect(bodies.filter((b) => b.type === 'purchase')).toHaveLength(1);
    expect((await balance(u))?.balance).toBe(20 + 500);
  });

  it('refuses a wrong signature, a stale timestamp, a tampered body and a missing header, writing nothing', async () => {
    const u = await signUp(t.app);
    const c = await checkout(u);
    const paid = standIn().pay(c.stripeSessionId);
    const { id, payload } = standIn().event('checkout.session.completed', paid);
    const entriesBefore = await entryCount(t.db);
    const tampered = payload.replace('"amount_total": 990', '"amount_total": 99000');
    expect(tampered).not.toBe(payload);
    const attempts = [
      await deliver(payload, { secret: 'whsec_someone_else_entirely' }),
      await deliver(payload, { timestamp: t.nowSeconds() - 10 * 60 }),
      await deliver(payload, { body: tampered }),
      await deliver(payload, { signature: null }),
      await deliver(payload, { signature: 't=1,v1=deadbeef' }),
    ];
    for (const res of attempts) {
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid-signature');
    }
    expect(await entryCount(t.db)).toBe(entriesBefore);
    const { rows } = await t.db.query('select 1 from purchase_events where event_id = $1', [id]);
    expect(rows).toHaveLength(0);
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'open', purchaseId: null });
    // The genuine delivery still works afterwards.
    expect((await deliver(payload)).json().outcome).toBe('credited');
  });

  it('remembers a refund that arrives before the completion: credited and reversed at once', async () => {
    const u = await signUp(t.app);
    const before = await balance(u);
    const seq0 = await headSeq(t.db, u.accountId);
    const c = await checkout(u);
    const paid = standIn().pay(c.stripeSessionId);
    const refunded = standIn().refund(String(paid.payment_intent));
    const r1 = await deliver(event('charge.refunded', refunded));
    expect(r1.json().outcome).toBe('remembered');
    expect(await headSeq(t.db, u.accountId)).toBe(seq0);
    const r2 = await deliver(event('checkout.session.completed', paid));
    expect(r2.json().outcome).toBe('credited-and-reversed');
    expect((await balance(u))?.balance).toBe(before?.balance);
    const { bodies } = await pullVerified(t.app, u);
    const tail = bodies.slice(-2);
    expect(tail.map((b) => b.type)).toEqual(['purchase', 'reversal']);
    expect(tail[1]).toMatchObject({
      type: 'reversal',
      purchaseId: `stripe:${c.stripeSessionId}`,
      reason: 'refunded',
      amount: 100,
      shortfall: 0,
      operationId: `stripe:refund:${String(refunded.id)}`,
    });
    expect(tail[0]?.seq).toBe((tail[1]?.seq ?? 0) - 1);
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'complete', reversed: true });
    // The refund again (a retry, another event id): nothing more.
    expect((await deliver(event('charge.refunded', refunded))).json().outcome).toBe(
      'already-reversed',
    );
    expect((await pullVerified(t.app, u)).bodies).toHaveLength(bodies.length);
  });

  it('never loses a refund that races its completion', async () => {
    const u = await signUp(t.app);
    const before = (await balance(u))?.balance;
    for (let i = 0; i < 6; i++) {
      const c = await checkout(u);
      const paid = standIn().pay(c.stripeSessionId);
      const refund = standIn().refund(String(paid.payment_intent));
      const deliveries = [
        deliver(event('checkout.session.completed', paid)),
        deliver(event('charge.refunded', refund)),
      ];
      const results = await Promise.all(i % 2 ? deliveries : deliveries.reverse());
      expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
      expect(await status(u, c.sessionId)).toMatchObject({ status: 'complete', reversed: true });
    }
    expect((await balance(u))?.balance).toBe(before);
    const { bodies } = await pullVerified(t.app, u);
    expect(bodies.filter((b) => b.type === 'purchase')).toHaveLength(6);
    expect(bodies.filter((b) => b.type === 'reversal')).toHaveLength(6);
  });

  it('takes back a disputed purchase after partial spending: the balance goes below zero', async () => {
    const u = await signUp(t.app);
    const c = await checkout(u);
    const paid = standIn().pay(c.stripeSessionId);
    await deliver(event('checkout.session.completed', paid));
    expect((await balance(u))?.balance).toBe(120); // 20 daily + 100 pack
    const hold = await t.app.inject({
      method: 'POST',
      url: '/v1/ledger/holds',
      headers: u.headers,
      payload: { operationId: opId(), amount: 60, purpose: job },
    });
    await t.app.inject({
      method: 'POST',
      url: `/v1/ledger/holds/${hold.json().holdId}/capture`,
      headers: u.headers,
      payload: { operationId: opId(), amount: 60 },
    });
    // Daily credits are spent first: 20 daily + 40 from the pack; 60 of the pack are left.
    expect(await balance(u)).toMatchObject({ balance: 60, debt: 0 });
    const dispute = standIn().dispute(String(paid.payment_intent));
    const res = await deliver(event('charge.dispute.created', dispute));
    expect(res.json().outcome).toBe('reversed');
    expect(await balance(u)).toMatchObject({ balance: -40, debt: 40, available: -40 });
    const { bodies } = await pullVerified(t.app, u);
    expect(bodies.at(-1)).toMatchObject({
      type: 'reversal',
      reason: 'disputed',
      amount: 100,
      splits: [{ bucketId: `stripe:${c.stripeSessionId}:pack`, amount: 60 }],
      shortfall: 40,
    });
    // A refund of the same payment later takes nothing more.
    const refund = standIn().refund(String(paid.payment_intent));
    expect((await deliver(event('charge.refunded', refund))).json().outcome).toBe(
      'already-reversed',
    );
    expect(await balance(u)).toMatchObject({ balance: -40 });
    // Debt blocks spending until paid off.
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/v1/ledger/holds',
      headers: u.headers,
      payload: { operationId: opId(), amount: 1, purpose: job },
    });
    expect(blocked.statusCode).toBe(402);
  });

  it('waits for an asynchronous payment and credits nothing when it fails', async () => {
    const u = await signUp(t.app);
    const seq0 = await headSeq(t.db, u.accountId);
    const c = await checkout(u);
    const pending = standIn().pay(c.stripeSessionId, { async: true });
    expect((await deliver(event('checkout.session.completed', pending))).json().outcome).toBe(
      'awaiting-payment',
    );
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'processing', purchaseId: null });
    const failed = standIn().settle(c.stripeSessionId, false);
    expect(
      (await deliver(event('checkout.session.async_payment_failed', failed))).json().outcome,
    ).toBe('failed');
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'failed', purchaseId: null });
    expect(await headSeq(t.db, u.accountId)).toBe(seq0);

    // The same flow when the payment settles: credited on async_payment_succeeded.
    const c2 = await checkout(u);
    const pending2 = standIn().pay(c2.stripeSessionId, { async: true });
    await deliver(event('checkout.session.completed', pending2));
    const ok = standIn().settle(c2.stripeSessionId, true);
    expect(
      (await deliver(event('checkout.session.async_payment_succeeded', ok))).json().outcome,
    ).toBe('credited');
    expect(await status(u, c2.sessionId)).toMatchObject({ status: 'complete' });
  });

  it('refuses and logs an amount or currency that does not match the catalog', async () => {
    const u = await signUp(t.app);
    const seq0 = await headSeq(t.db, u.accountId);
    const cheap = await checkout(u, 'pack-1000');
    const p1 = standIn().pay(cheap.stripeSessionId, { amountTotal: 100 });
    expect((await deliver(event('checkout.session.completed', p1))).json().outcome).toBe(
      'refused:amount-mismatch',
    );
    const euro = await checkout(u, 'pack-100');
    const p2 = standIn().pay(euro.stripeSessionId, { currency: 'eur' });
    expect((await deliver(event('checkout.session.completed', p2))).json().outcome).toBe(
      'refused:amount-mismatch',
    );
    expect(await headSeq(t.db, u.accountId)).toBe(seq0);
    expect(await status(u, cheap.sessionId)).toMatchObject({ status: 'refused', purchaseId: null });
    expect(await status(u, euro.sessionId)).toMatchObject({ status: 'refused' });
    const { rows } = await t.db.query<{ code: string; message: string }>(
      'select code, message from purchase_incidents where account_id = $1 order by at',
      [u.accountId],
    );
    expect(rows.map((r) => r.code)).toEqual(['amount-mismatch', 'amount-mismatch']);
    expect(rows[0]?.message).toContain('paid 100, the catalog price is 6990');
    expect(rows[1]?.message).toContain('paid in eur');
    expect(
      t.log.lines.filter((l) => l.level === LEVEL.warn && l.accountId === u.accountId),
    ).toHaveLength(2);
    // A repeat of the refused event under a new id stays refused.
    expect((await deliver(event('checkout.session.completed', p1))).json().outcome).toBe(
      'refused:amount-mismatch',
    );
    expect(await headSeq(t.db, u.accountId)).toBe(seq0);
  });

  it('gives a top-up its bonus credits in a separate free bucket', async () => {
    const u = await signUp(t.app);
    const c = await checkout(u, 'topup-2000');
    const paid = standIn().pay(c.stripeSessionId);
    await deliver(event('checkout.session.completed', paid));
    const purchase = (await pullVerified(t.app, u)).bodies.find((b) => b.type === 'purchase');
    if (purchase?.type !== 'purchase') throw new Error('no purchase');
    expect(purchase.buckets.map((b) => [b.source, b.amount, b.costBasisCents])).toEqual([
      ['pack', 2000, 12990],
      ['bonus', 300, 0],
    ]);
    expect(purchase.buckets[1]?.expiresAt).toBe(purchase.buckets[0]?.expiresAt);
    expect((await balance(u))?.balance).toBe(20 + 2300);
    // Refunding the top-up takes back both buckets.
    const refund = standIn().refund(String(paid.payment_intent));
    await deliver(event('charge.refunded', refund));
    expect((await balance(u))?.balance).toBe(20);
  });

  it('takes back a proportional share on a partial refund, and the rest on the full one', async () => {
    const u = await signUp(t.app);
    const c = await checkout(u, 'pack-200');
    const paid = standIn().pay(c.stripeSessionId);
    await deliver(event('checkout.session.completed', paid));
    const partial = standIn().refund(String(paid.payment_intent), 500);
    expect((await deliver(event('charge.refunded', partial))).json().outcome).toBe('reversed');
    // 500 of 1490 cents: 67 of the 200 credits (rounded down, in the buyer's favour).
    expect((await balance(u))?.balance).toBe(220 - 67);
    // The same refund again (another event id) takes nothing more.
    expect((await deliver(event('charge.refunded', partial))).json().outcome).toBe(
      'already-reversed',
    );
    const more = standIn().refund(String(paid.payment_intent), 245);
    expect((await deliver(event('charge.refunded', more))).json().outcome).toBe('reversed');
    // 745 of 1490: half, 100 credits in all.
    expect((await balance(u))?.balance).toBe(220 - 100);
    const tail = (await pullVerified(t.app, u)).bodies.filter((b) => b.type === 'reversal');
    expect(tail.map((b) => (b.type === 'reversal' ? b.amount : 0))).toEqual([67, 33]);
    // Refunding the rest makes it a full refund: now the purchase is reversed.
    const rest = standIn().refund(String(paid.payment_intent));
    expect((await deliver(event('charge.refunded', rest))).json().outcome).toBe('reversed');
    expect((await balance(u))?.balance).toBe(20);
  });

  it('ignores events it does not handle and sessions that are not its own, and refuses bad bodies', async () => {
    const u = await signUp(t.app);
    const seq0 = await headSeq(t.db, u.accountId);
    const other = await deliver(
      event('customer.created', { id: 'cus_test123', object: 'customer' }),
    );
    expect(other.json().outcome).toBe('ignored:customer.created');
    const foreign = await deliver(
      event('checkout.session.completed', {
        id: 'cs_test_foreign',
        object: 'checkout.session',
        mode: 'payment',
        payment_status: 'paid',
        amount_total: 990,
        currency: 'usd',
        metadata: {},
        payment_intent: 'pi_foreign',
        created: t.nowSeconds(),
      }),
    );
    expect(foreign.json().outcome).toBe('ignored:not-ours');
    const notJson = 'this is not json';
    const res = await deliver(notJson);
    expect(res.statusCode).toBe(400);
    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/stripe/webhook',
      headers: { 'content-type': 'text/plain', 'stripe-signature': stripeSignature('x') },
      payload: 'x',
    });
    expect(wrongType.statusCode).toBe(415);
    expect(await headSeq(t.db, u.accountId)).toBe(seq0);
  });

  it('answers 502 without writing when Stripe cannot be reached, and the same operation retries', async () => {
    const u = await signUp(t.app);
    const seq0 = await headSeq(t.db, u.accountId);
    const s = standIn();
    await s.stop();
    const op = opId('retry');
    try {
      const down = await t.app.inject({
        method: 'POST',
        url: '/v1/purchases/checkout',
        headers: u.headers,
        payload: { itemId: 'pack-100', operationId: op },
      });
      expect(down.statusCode).toBe(502);
      expect(down.json().error.code).toBe('payment-provider-unavailable');
      expect(await headSeq(t.db, u.accountId)).toBe(seq0);
    } finally {
      await s.restart();
    }
    const retried = await checkout(u, 'pack-100', op);
    expect(retried.url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
  }, 30_000);

  it('leaves expired sessions uncredited and reports them expired', async () => {
    const u = await signUp(t.app);
    const c = await checkout(u);
    const expired = { ...standIn().sessions.get(c.stripeSessionId), status: 'expired' };
    expect((await deliver(event('checkout.session.expired', expired))).json().outcome).toBe(
      'expired',
    );
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'expired' });
    // Past its expiry an open checkout reads as expired even before Stripe says so.
    const late = await checkout(u);
    t.clock.advance(25 * HOUR);
    expect(await status(u, late.sessionId)).toMatchObject({ status: 'expired' });
  });
});
