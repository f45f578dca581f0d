import { LEVEL } from '../../shared/log/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../clock';
import { backends, headSeq, signUp } from '../testing/harness';
import {
  type PurchaseServer,
  pullVerified,
  purchaseServer,
  stripeStandIn,
  webhookOutcome,
} from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;

describe.each(backends)('Stripe plans on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend, { stripe: true });
  });
  afterAll(async () => t.close());

  const standIn = () => stripeStandIn(t);
  const deliver = (payload: string) => webhookOutcome(t, payload);
  const send = (type: string, object: Record<string, unknown>) =>
    deliver(standIn().event(type, object).payload);
  const planOf = async (u: User) =>
    (await t.db.query<{ plan: string }>('select plan from accounts where id = $1', [u.accountId]))
      .rows[0]?.plan;
  const subscribe = async (u: User, itemId = 'pro') => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { sessionId } = res.json<{ sessionId: string }>();
    const session = [...standIn().sessions.values()].find(
      (s) => s.client_reference_id === sessionId,
    );
    if (!session) throw new Error('no session');
    return { sessionId, stripeSessionId: String(session.id) };
  };
  const signInAgain = async (u: User) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/signin',
      payload: { email: u.email, password: 'correct horse battery' },
    });
    expect(res.statusCode).toBe(200);
    u.headers.authorization = `Bearer ${res.json<{ token: string }>().token}`;
  };
  const planCredits = async (u: User) =>
    (await t.services.ledger.wallet(u.accountId)).buckets
      .filter((b) => b.source === 'plan')
      .reduce((n, b) => n + (b.live ? b.remaining : 0), 0);

  it('starts a plan from a subscription checkout, even when invoice.paid comes first', async () => {
    const u = await signUp(t.app);
    const c = await subscribe(u);
    const session = standIn().sessions.get(c.stripeSessionId);
    expect(session).toMatchObject({
      mode: 'subscription',
      amount_total: 990,
      _subscription_metadata: { checkoutId: c.sessionId, itemId: 'pro', accountId: u.accountId },
    });
    const paid = standIn().pay(c.stripeSessionId);
    const invoice = standIn().invoices.get(String(paid.invoice));
    if (!invoice) throw new Error('no invoice');
    // Out of order: the first invoice before the checkout completion.
    expect(await send('invoice.paid', invoice)).toBe('credited');
    expect(await planOf(u)).toBe('pro');
    expect(await send('checkout.session.completed', paid)).toBe('subscription-active');
    expect(await planCredits(u)).toBe(1000);

    const { bodies } = await pullVerified(t.app, u);
    const purchase = bodies.find((b) => b.type === 'purchase');
    if (purchase?.type !== 'purchase') throw new Error('no purchase');
    expect(purchase).toMatchObject({
      purchaseId: `stripe:${String(invoice.id)}`,
      itemId: 'pro',
      priceCents: 990,
    });
    // The payment intent, looked up through the SDK: the invoice object does not carry it.
    expect(purchase.paymentRef).toMatch(/^pi_/);
    expect(standIn().chargeOf(purchase.paymentRef)?.amount).toBe(990);
    expect(
      standIn().requests.some(
        (r) => r.path === '/v1/invoice_payments' && r.params.invoice === invoice.id,
      ),
    ).toBe(true);
    expect(purchase.buckets).toEqual([
      expect.objectContaining({
        source: 'plan',
        amount: 1000,
        costBasisCents: 990,
        expiresAt: new Date(Date.parse(purchase.at) + 30 * DAY).toISOString(),
      }),
    ]);
    const status = await t.app.inject({
      method: 'GET',
      url: `/v1/purchases/${c.sessionId}`,
      headers: u.headers,
    });
    expect(status.json()).toMatchObject({
      status: 'complete',
      purchaseId: `stripe:${String(invoice.id)}`,
    });
  });

  it('grants each month once per invoice, however often its events arrive, and ends the plan on cancellation', async () => {
    const u = await signUp(t.app);
    const c = await subscribe(u, 'max');
    const paid = standIn().pay(c.stripeSessionId);
    expect(await send('checkout.session.completed', paid)).toBe('subscription-active');
    const first = standIn().invoices.get(String(paid.invoice));
    if (!first) throw new Error('no invoice');
    expect(await send('invoice.paid', first)).toBe('credited');
    expect(await planOf(u)).toBe('max');
    expect(await planCredits(u)).toBe(3000);

    t.clock.advance(30 * DAY);
    await signInAgain(u); // sessions last 30 days too
    const second = standIn().renew(String(paid.subscription));
    const once = standIn().event('invoice.paid', second).payload;
    expect(await deliver(once)).toBe('credited');
    expect(await deliver(once)).toBe('duplicate');
    expect(await send('invoice.paid', second)).toBe('already-credited'); // a new event id
    expect(await send('invoice.payment_succeeded', second)).toBe(
      'ignored:invoice.payment_succeeded',
    );
    // The first month's credits expired at 30 days; the second month's are live.
    expect(await planCredits(u)).toBe(3000);
    const purchases = (await pullVerified(t.app, u)).bodies.filter((b) => b.type === 'purchase');
    expect(purchases.map((p) => (p.type === 'purchase' ? p.purchaseId : ''))).toEqual([
      `stripe:${String(first.id)}`,
      `stripe:${String(second.id)}`,
    ]);

    const canceled = standIn().cancel(String(paid.subscription));
    expect(await send('customer.subscription.deleted', canceled)).toBe('canceled:plan=free');
    expect(await planOf(u)).toBe('free');
    expect(await send('customer.subscription.deleted', canceled)).toBe('already-canceled');
    // Credits already paid for stay until they expire.
    expect(await planCredits(u)).toBe(3000);
    // A late invoice of the ended subscription grants its month but does not restore the plan.
    const late = standIn().renew(String(paid.subscription));
    expect(await send('invoice.paid', late)).toBe('credited');
    expect(await planOf(u)).toBe('free');
  });

  it('takes back a refunded month, found through its payment intent', async () => {
    const u = await signUp(t.app);
    const c = await subscribe(u);
    const paid = standIn().pay(c.stripeSessionId);
    await send('checkout.session.completed', paid);
    const invoice = standIn().invoices.get(String(paid.invoice));
    if (!invoice) throw new Error('no invoice');
    await send('invoice.paid', invoice);
    const purchase = (await pullVerified(t.app, u)).bodies.find((b) => b.type === 'purchase');
    if (purchase?.type !== 'purchase') throw new Error('no purchase');
    const refund = standIn().refund(purchase.paymentRef);
    expect(await send('charge.refunded', refund)).toBe('reversed');
    expect(await planCredits(u)).toBe(0);
    expect((await pullVerified(t.app, u)).bodies.at(-1)).toMatchObject({
      type: 'reversal',
      purchaseId: `stripe:${String(invoice.id)}`,
      amount: 1000,
      shortfall: 0,
    });
  });

  it('refuses a second plan while one is active, and an invoice whose amount is off', async () => {
    const u = await signUp(t.app);
    const c = await subscribe(u);
    const paid = standIn().pay(c.stripeSessionId);
    await send('checkout.session.completed', paid);
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId: 'max' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('already-subscribed');
    const seq = await headSeq(t.db, u.accountId);
    const odd = standIn().renew(String(paid.subscription), 1);
    expect(await send('invoice.paid', odd)).toBe('refused:amount-mismatch');
    expect(await headSeq(t.db, u.accountId)).toBe(seq);
    expect(t.log.lines.some((l) => l.level === LEVEL.warn && l.ref === odd.id)).toBe(true);
  });
});
