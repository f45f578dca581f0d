import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log/logger';
import { buildApp } from '../http/app';
import { backends, signUp, testServer } from '../testing/harness';
import { purchasesConfigFromEnv } from './config';
import { createPurchases } from './purchases';
import { registerPurchaseRoutes } from './routes';
import { type PurchaseServer, purchaseServer } from './testing/purchase-server';

/**
 * docs/architecture.md §7: the sandbox gives credits away, so it runs by itself only on a
 * loopback (embedded) server, and its pay page answers only the buyer who started the checkout.
 */
describe('sandbox payments are on only where asked for', () => {
  it('is on for a loopback public URL, off for a public one unless EASEL_SANDBOX_PAYMENTS=on', async () => {
    const t = await testServer('pglite');
    try {
      const provider = (env: NodeJS.ProcessEnv, fallback = 'http://127.0.0.1:4780') =>
        createPurchases(t.services, {
          ...purchasesConfigFromEnv(env, fallback),
          log: createLogger('off'),
        }).provider;
      expect(provider({})).toBe('sandbox');
      expect(provider({}, 'http://localhost:4780')).toBe('sandbox');
      expect(provider({ EASEL_PUBLIC_URL: 'https://easel.example.com' })).toBeNull();
      expect(provider({}, 'http://0.0.0.0:4780')).toBeNull();
      expect(provider({}, 'http://192.168.1.20:4780')).toBeNull();
      expect(
        provider({ EASEL_PUBLIC_URL: 'https://easel.example.com', EASEL_SANDBOX_PAYMENTS: 'on' }),
      ).toBe('sandbox');
      expect(provider({ EASEL_SANDBOX_PAYMENTS: 'off' })).toBeNull();

      // A public server without Stripe: no checkout, nothing to pay.
      const purchases = createPurchases(t.services, {
        ...purchasesConfigFromEnv({ EASEL_PUBLIC_URL: 'https://easel.example.com' }),
        log: createLogger('off'),
      });
      const app = buildApp(t.services, {
        extend: (a, route, accountOf) => registerPurchaseRoutes(a, route, accountOf, purchases),
      });
      await app.ready();
      const u = await signUp(app);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/purchases/checkout',
        headers: u.headers,
        payload: { itemId: 'pack-100' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('purchases-unavailable');
      expect((await app.inject({ method: 'GET', url: '/v1/catalog' })).json().provider).toBeNull();
      await app.close();
    } finally {
      await t.close();
    }
  });
});

describe.each(backends)('the sandbox pay page answers only the buyer on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend);
  });
  afterAll(async () => t.close());

  it('refuses the page, pay and cancel without the key the buyer got; pays with it', async () => {
    const u = await signUp(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId: 'pack-100' },
    });
    const c = res.json<{ sessionId: string; url: string }>();
    const url = new URL(c.url);
    const key = url.searchParams.get('key') ?? '';
    expect(key).toMatch(/^[\w-]{32}$/);
    const base = url.pathname;
    const balance = async () =>
      (await t.services.ledger.wallet(u.accountId)).balances.image?.balance;
    const before = await balance();
    const wrongKey = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const q of ['', '?key=', `?key=${wrongKey}`, `?key=${key}x`]) {
      expect((await t.app.inject({ method: 'GET', url: `${base}${q}` })).statusCode, q).toBe(404);
      for (const action of ['pay', 'cancel']) {
        const r = await t.app.inject({ method: 'POST', url: `${base}/${action}${q}` });
        expect(r.statusCode, `${action}${q}`).toBe(404);
      }
    }
    expect(await balance()).toBe(before);
    expect((await t.app.inject({ method: 'GET', url: `${base}?key=${key}` })).statusCode).toBe(200);
    const paid = await t.app.inject({ method: 'POST', url: `${base}/pay?key=${key}` });
    expect(paid.statusCode).toBe(303);
    expect(await balance()).toBe((before ?? 0) + 100);
  });
});
