import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountResponse, SignUpOffer } from '../../shared/api/auth';
import { BalanceResponse } from '../../shared/api/ledger';
import { DAY } from '../clock';
import { purchaseServer, type PurchaseServer } from '../purchases/testing/purchase-server';
import { backends, signUp, testServer, type TestServer } from '../testing/harness';

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(backends)('sign-up offer and current plan on %s', (backend) => {
  let t: TestServer;
  let p: PurchaseServer;
  beforeAll(async () => {
    t = await testServer(backend, {
      auth: { signupBonus: { amount: 75, ttlMs: 14 * DAY } },
      ledger: { dailyCreditsByPlan: { free: 12 } },
    });
    p = await purchaseServer(backend);
  });
  afterAll(async () => {
    await t.close();
    await p.close();
  });

  it('states what sign-up grants, from the config that grants it', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/auth/offer' });
    expect(res.statusCode).toBe(200);
    expect(SignUpOffer.parse(res.json())).toEqual({
      welcome: { credits: 75, expiresInDays: 14 },
      dailyCredits: 12,
      password: { minLength: 10, maxLength: 200 },
    });
    // And it is what a new account really receives: 75 welcome credits plus today's 12.
    const u = await signUp(t.app);
    const balance = await t.app.inject({
      method: 'GET',
      url: '/v1/ledger/balance',
      headers: u.headers,
    });
    expect(BalanceResponse.parse(balance.json()).balances.image?.balance).toBe(75 + 12);
  });

  it('says no welcome credits when the server grants none', async () => {
    const res = await p.app.inject({ method: 'GET', url: '/v1/auth/offer' });
    expect(SignUpOffer.parse(res.json()).welcome).toBeNull();
  });

  it('names the plan and when it renews: a month after its paid month', async () => {
    const u = await signUp(p.app);
    const account = async () =>
      AccountResponse.parse(
        (await p.app.inject({ method: 'GET', url: '/v1/account', headers: u.headers })).json(),
      );
    expect(await account()).toMatchObject({ plan: 'free', planRenewsAt: null });
    const c = await p.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId: 'pro' },
    });
    const { sessionId } = c.json<{ sessionId: string }>();
    const pay = await p.app.inject({
      method: 'POST',
      url: `/sandbox/checkout/${sessionId}/pay`,
      headers: form,
      payload: '',
    });
    expect(pay.statusCode).toBe(303);
    // The purchase server's clock starts at 2026-11-02T10:00:00.000Z.
    expect(await account()).toMatchObject({
      plan: 'pro',
      planRenewsAt: '2026-12-02T10:00:00.000Z',
    });
    await p.purchases.sandbox.cancelSubscription(sessionId);
    expect(await account()).toMatchObject({ plan: 'free', planRenewsAt: null });
  });
});
