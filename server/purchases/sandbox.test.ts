import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEaselLink } from '../../shared/api/links';
import { DAY, MINUTE } from '../clock';
import { backends, entryCount, headSeq, opId, signUp } from '../testing/harness';
import { createLogger } from '../../shared/log/logger';
import { createPurchases } from './purchases';
import {
  PUBLIC_URL,
  type PurchaseServer,
  pullVerified,
  purchaseServer,
} from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(backends)('sandbox purchases through HTTP on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend);
  });
  afterAll(async () => t.close());

  const start = async (u: User, itemId: string, operationId?: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId, ...(operationId ? { operationId } : {}) },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ sessionId: string; url: string; provider: string; status: string }>();
  };
  /** The path the app opens in the browser (the server's own page). */
  const pathOf = (url: string) => `${new URL(url).pathname}${new URL(url).search}`;
  /** A form action of the checkout's page (its key is in the url only the buyer got). */
  const actionOf = (c: { url: string }, name: 'pay' | 'cancel') =>
    `${new URL(c.url).pathname}/${name}${new URL(c.url).search}`;
  const status = async (u: User, id: string) =>
    (await t.app.inject({ method: 'GET', url: `/v1/purchases/${id}`, headers: u.headers })).json();

  it('serves the catalog: packs, the top-up, the plans, and the sandbox as provider', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/catalog' });
    expect(res.statusCode).toBe(200);
    const catalog = res.json<{ provider: string; items: Array<Record<string, unknown>> }>();
    expect(catalog.provider).toBe('sandbox');
    const brief = catalog.items.map((i) => [i.itemId, i.priceCents]);
    expect(brief).toEqual([
      ['pack-100', 990],
      ['pack-200', 1490],
      ['pack-500', 3990],
      ['pack-1000', 6990],
      ['topup-2000', 12990],
      ['free', 0],
      ['pro', 990],
      ['max', 2590],
    ]);
    expect(catalog.items.find((i) => i.itemId === 'pro')).toMatchObject({
      monthlyCredits: 1000,
      expiresAfterDays: 30,
    });
    const openapi = (await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/v1/catalog',
        '/v1/purchases/checkout',
        '/v1/purchases/{sessionId}',
      ]),
    );
  });

  it('create checkout → pay → the purchase is in sync with the right buckets and expiry', async () => {
    const u = await signUp(t.app);
    const c = await start(u, 'pack-200');
    expect(c).toMatchObject({ provider: 'sandbox', status: 'open' });
    expect(c.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:4780/sandbox/checkout/${c.sessionId}\\?key=[\\w-]{32}$`),
    );

    const page = await t.app.inject({ method: 'GET', url: pathOf(c.url) });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['content-security-policy']).toMatch(/form-action 'self'/);
    expect(page.body).toContain('Sandbox — no real payment');
    expect(page.body).toContain(`action="${actionOf(c, 'pay')}"`);
    expect(page.body).toContain(`action="${actionOf(c, 'cancel')}"`);
    expect(page.body).toContain('$14.90');
    expect(page.body).not.toContain('<script');

    const pay = await t.app.inject({
      method: 'POST',
      url: actionOf(c, 'pay'),
      headers: form,
      payload: '',
    });
    expect(pay.statusCode).toBe(303);
    expect(pay.headers.location).toBe(`/purchases/${c.sessionId}/success`);
    const success = await t.app.inject({ method: 'GET', url: String(pay.headers.location) });
    expect(success.statusCode).toBe(200);
    expect(success.body).toContain('Return to Easel');
    const link = /href="(easel:\/\/purchase\?session=[^"]+)"/.exec(success.body)?.[1] ?? '';
    expect(parseEaselLink(link)).toEqual({ kind: 'purchase-return', sessionId: c.sessionId });

    const st = await status(u, c.sessionId);
    expect(st).toMatchObject({ status: 'complete', purchaseId: `sandbox:${c.sessionId}` });
    const { bodies } = await pullVerified(t.app, u);
    const purchase = bodies.find((b) => b.type === 'purchase');
    if (purchase?.type !== 'purchase') throw new Error('no purchase');
    expect(purchase.seq).toBe(st.seq);
    expect(purchase).toMatchObject({
      provider: 'sandbox',
      itemId: 'pack-200',
      priceCents: 1490,
      currency: 'usd',
      paymentRef: `sbx_pay_${c.sessionId.slice(4)}`,
    });
    expect(purchase.buckets).toEqual([
      {
        bucketId: `sandbox:${c.sessionId}:pack`,
        kind: 'image',
        source: 'pack',
        amount: 200,
        costBasisCents: 1490,
        effectiveAt: purchase.at,
        expiresAt: new Date(Date.parse(purchase.at) + 30 * DAY).toISOString(),
        priority: 100,
      },
    ]);
    const balance = (
      await t.app.inject({ method: 'GET', url: '/v1/ledger/balance', headers: u.headers })
    ).json().balances.image;
    expect(balance.balance).toBe(20 + 200);

    // Paying again (a double click) changes nothing.
    const seq = await headSeq(t.db, u.accountId);
    const again = await t.app.inject({
      method: 'POST',
      url: actionOf(c, 'pay'),
      headers: form,
      payload: '',
    });
    expect(again.statusCode).toBe(303);
    expect(await headSeq(t.db, u.accountId)).toBe(seq);
    // The credits expire 30 days after purchase.
    const packCredits = async () =>
      (await t.services.ledger.wallet(u.accountId)).buckets
        .filter((b) => b.source === 'pack' && b.live)
        .reduce((n, b) => n + b.remaining, 0);
    t.clock.advance(30 * DAY - MINUTE);
    expect(await packCredits()).toBe(200);
    t.clock.advance(2 * MINUTE);
    expect(await packCredits()).toBe(0);
  });

  it('cancel → nothing is written, and the checkout cannot be paid afterwards', async () => {
    const u = await signUp(t.app);
    const c = await start(u, 'pack-100');
    const seq = await headSeq(t.db, u.accountId);
    const entries = await entryCount(t.db);
    const cancel = await t.app.inject({
      method: 'POST',
      url: actionOf(c, 'cancel'),
      headers: form,
      payload: 'x=1',
    });
    expect(cancel.statusCode).toBe(303);
    expect(cancel.headers.location).toBe(`/purchases/${c.sessionId}/cancelled`);
    const page = await t.app.inject({ method: 'GET', url: String(cancel.headers.location) });
    expect(page.body).toContain('Nothing was charged');
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'canceled', purchaseId: null });
    const pay = await t.app.inject({
      method: 'POST',
      url: actionOf(c, 'pay'),
      headers: form,
      payload: '',
    });
    expect(pay.statusCode).toBe(409);
    expect(pay.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(await headSeq(t.db, u.accountId)).toBe(seq);
    expect(await entryCount(t.db)).toBe(entries);
    const reopened = await t.app.inject({ method: 'GET', url: pathOf(c.url) });
    expect(reopened.body).toContain('This checkout is canceled');
    expect(reopened.body).not.toContain('/pay"');
  });

  it('refuses to pay an expired checkout', async () => {
    const u = await signUp(t.app);
    const c = await start(u, 'pack-100');
    t.clock.advance(DAY + 1);
    const pay = await t.app.inject({ method: 'POST', url: actionOf(c, 'pay') });
    expect(pay.statusCode).toBe(410);
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'expired', purchaseId: null });
  });

  it('buys a plan in the sandbox: the month’s credits and the plan, through the invoice path', async () => {
    const u = await signUp(t.app);
    const c = await start(u, 'pro');
    await t.app.inject({ method: 'POST', url: actionOf(c, 'pay') });
    const { rows } = await t.db.query<{ plan: string }>('select plan from accounts where id = $1', [
      u.accountId,
    ]);
    expect(rows[0]?.plan).toBe('pro');
    const purchase = (await pullVerified(t.app, u)).bodies.find((b) => b.type === 'purchase');
    expect(purchase).toMatchObject({
      purchaseId: `sandbox:sbx_in_${c.sessionId.slice(4)}_1`,
      itemId: 'pro',
      buckets: [expect.objectContaining({ source: 'plan', amount: 1000, costBasisCents: 990 })],
    });
    expect(await status(u, c.sessionId)).toMatchObject({ status: 'complete', seq: purchase?.seq });
    // One plan at a time; ending it (same path as Stripe's) puts the account back on Free.
    const second = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId: 'max' },
    });
    expect(second.json().error.code).toBe('already-subscribed');
    expect(await t.purchases.sandbox.cancelSubscription(c.sessionId)).toBe('canceled:plan=free');
    const plan = await t.db.query<{ plan: string }>('select plan from accounts where id = $1', [
      u.accountId,
    ]);
    expect(plan.rows[0]?.plan).toBe('free');
    expect((await start(u, 'max')).status).toBe('open');
  });

  it('reverses a sandbox refund through the same path as Stripe’s', async () => {
    const u = await signUp(t.app);
    const c = await start(u, 'pack-100');
    await t.app.inject({ method: 'POST', url: actionOf(c, 'pay') });
    expect(await t.purchases.sandbox.refund(c.sessionId)).toBe('reversed');
    expect(await t.purchases.sandbox.refund(c.sessionId)).toBe('already-reversed');
    expect(await status(u, c.sessionId)).toMatchObject({ reversed: true });
    expect((await pullVerified(t.app, u)).bodies.at(-1)).toMatchObject({
      type: 'reversal',
      reason: 'refunded',
      amount: 100,
    });
  });

  it('turns purchases off when neither Stripe nor the sandbox may run', async () => {
    const off = createPurchases(t.services, {
      publicUrl: PUBLIC_URL,
      stripe: null,
      sandbox: false,
      log: createLogger('off'),
    });
    expect(off.provider).toBeNull();
    expect(off.catalogResponse().provider).toBeNull();
    const u = await signUp(t.app);
    await expect(off.checkouts.create(u.accountId, { itemId: 'pack-100' })).rejects.toMatchObject({
      status: 503,
      code: 'purchases-unavailable',
    });
  });

  it('validates every input: clear 4xx, nothing written', async () => {
    const u = await signUp(t.app);
    const other = await signUp(t.app);
    const seq = await headSeq(t.db, u.accountId);
    const { rows: before } = await t.db.query<{ n: number }>(
      'select count(*)::int as n from purchase_checkouts',
    );
    const post = (payload: unknown, headers: Record<string, string> = u.headers) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/purchases/checkout',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'invalid-request'],
      [{ itemId: 'has spaces' }, 400, 'invalid-request'],
      [{ itemId: 'pack-100', extra: true }, 400, 'invalid-request'],
      [{ itemId: 'pack-100', operationId: 'short' }, 400, 'invalid-request'],
      [{ itemId: 'pack-100', operationId: 'bad/chars/here' }, 400, 'invalid-request'],
      [{ itemId: 42 }, 400, 'invalid-request'],
      ['{"itemId": ', 400, 'invalid-request'],
      [{ itemId: 'pack-999' }, 404, 'unknown-item'],
      [{ itemId: 'free' }, 400, 'not-purchasable'],
    ];
    for (const [payload, code, error] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(code);
      expect(res.json().error.code).toBe(error);
    }
    expect((await post({ itemId: 'pack-100' }, {})).statusCode).toBe(401);

    const { rows: after } = await t.db.query<{ n: number }>(
      'select count(*)::int as n from purchase_checkouts',
    );
    expect(after[0]?.n).toBe(before[0]?.n);
    expect(await headSeq(t.db, u.accountId)).toBe(seq);

    // Idempotent creation; the same operation id for another item is a conflict.
    const op = opId('buy');
    const a = await start(u, 'pack-100', op);
    const b = await post({ itemId: 'pack-100', operationId: op });
    expect(b.statusCode).toBe(200);
    expect(b.json().sessionId).toBe(a.sessionId);
    const clash = await post({ itemId: 'pack-500', operationId: op });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.code).toBe('operation-id-reused');

    // Status: malformed id, someone else's checkout, unknown checkout.
    const get = (id: string, headers: Record<string, string> = u.headers) =>
      t.app.inject({ method: 'GET', url: `/v1/purchases/${id}`, headers });
    expect((await get('not-an-id')).statusCode).toBe(400);
    expect((await get(a.sessionId, other.headers)).statusCode).toBe(404);
    expect((await get(`chk_${'0'.repeat(32)}`)).statusCode).toBe(404);
    expect((await get(a.sessionId, {})).statusCode).toBe(401);
    // Pages for unknown or malformed checkouts are plain 404 pages.
    for (const url of [
      `/sandbox/checkout/${'<b>'}`,
      `/purchases/chk_${'0'.repeat(32)}/success`,
      `/sandbox/checkout/chk_${'f'.repeat(32)}/pay`,
    ]) {
      const res = await t.app.inject({ method: url.endsWith('/pay') ? 'POST' : 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('<b>');
    }
    // There is no Stripe webhook on a sandbox server.
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/purchases/stripe/webhook', payload: {} }))
        .statusCode,
    ).toBe(404);
  });
});
