import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEaselLink } from '../../shared/api/links';
import { CatalogPack, purchaseLink } from '../../shared/api/purchases';
import { defaultCatalogData, ledgerGrants, parseCatalog } from './catalog';
import { purchasesConfigFromEnv } from './config';
import { escapeHtml, formatMoney, pageHeaders, sandboxCheckoutPage, successPage } from './pages';
import type { CheckoutRow } from './store';

describe('purchases configuration', () => {
  it('runs the sandbox without Stripe keys, and Stripe with both keys', () => {
    const sandbox = purchasesConfigFromEnv({}, 'http://127.0.0.1:9999');
    // Unset: decided by the public URL (loopback only), see purchases.ts.
    expect(sandbox).toEqual({ stripe: null, publicUrl: 'http://127.0.0.1:9999' });
    const stripe = purchasesConfigFromEnv({
      STRIPE_SECRET_KEY: 'sk_test_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc123',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: '12111',
      STRIPE_API_PROTOCOL: 'http',
      EASEL_PUBLIC_URL: 'https://easel.example.com',
    });
    expect(stripe).toMatchObject({
      publicUrl: 'https://easel.example.com',
      stripe: {
        secretKey: 'sk_test_abc123',
        webhookSecret: 'whsec_abc123',
        apiHost: '127.0.0.1',
        apiPort: 12111,
        apiProtocol: 'http',
      },
    });
    expect(purchasesConfigFromEnv({ EASEL_SANDBOX_PAYMENTS: 'off' }).sandbox).toBe(false);
    expect(purchasesConfigFromEnv({ EASEL_SANDBOX_PAYMENTS: 'on' }).sandbox).toBe(true);
  });

  it('stops the start on a half or malformed Stripe configuration', () => {
    expect(() => purchasesConfigFromEnv({ STRIPE_SECRET_KEY: 'sk_test_abc' })).toThrow(
      /STRIPE_WEBHOOK_SECRET is required/,
    );
    expect(() =>
      purchasesConfigFromEnv({
        STRIPE_SECRET_KEY: 'pk_test_abc',
        STRIPE_WEBHOOK_SECRET: 'whsec_x',
      }),
    ).toThrow(/STRIPE_SECRET_KEY/);
    expect(() => purchasesConfigFromEnv({ STRIPE_API_PORT: 'eighty' })).toThrow(/STRIPE_API_PORT/);
  });
});

describe('catalog', () => {
  it('accepts the default catalog: packs, the bonus top-up, Free, Pro and Max', () => {
    const catalog = parseCatalog(defaultCatalogData);
    const packs = catalog.items.filter((i) => i.type === 'pack');
    expect(packs.map((p) => [p.credits, p.priceCents, p.expiresAfterDays])).toEqual([
      [100, 990, 30],
      [200, 1490, 30],
      [500, 3990, 30],
      [1000, 6990, 30],
      [2000, 12990, 30],
    ]);
    expect(packs.at(-1)).toMatchObject({ bonusCredits: 300 });
    const plans = catalog.items.filter((i) => i.type === 'plan');
    expect(plans.map((p) => [p.itemId, p.priceCents, p.monthlyCredits, p.dailyCredits])).toEqual([
      ['free', 0, 0, 20],
      ['pro', 990, 1000, 0],
      ['max', 2590, 3000, 0],
    ]);
    expect(ledgerGrants(catalog)).toEqual({
      dailyCreditsByPlan: { free: 20, pro: 0, max: 0 },
      monthlyCreditsByPlan: {},
    });
  });

  it('refuses catalogs that could not be sold safely', () => {
    const items = structuredClone(defaultCatalogData.items) as Array<Record<string, unknown>>;
    const withItems = (list: unknown[]) => ({ version: 2, items: list });
    expect(() => parseCatalog(withItems([...items, items[0]]))).toThrow(/appears twice/);
    expect(() => parseCatalog(withItems(items.filter((i) => i.itemId !== 'free')))).toThrow(
      /"free"/,
    );
    expect(() =>
      parseCatalog(withItems([...items, { ...items[0], itemId: 'cheap', priceCents: 10 }])),
    ).toThrow(/priceCents/);
    expect(() =>
      parseCatalog(withItems([...items, { ...items[6], itemId: 'empty', monthlyCredits: 0 }])),
    ).toThrow(/grants credits/);
    expect(() =>
      parseCatalog(withItems([...items, { ...items[0], itemId: 'eur', currency: 'EUR' }])),
    ).toThrow(/currency/);
    expect(() => parseCatalog(withItems([...items, { ...items[0], surprise: 1 }]))).toThrow();
    expect(CatalogPack.safeParse({ ...items[0], credits: 0 }).success).toBe(false);
  });
});

describe('purchase pages', () => {
  const item = {
    type: 'pack' as const,
    itemId: 'evil',
    title: '<script>alert("x")</script> & friends',
    description: '',
    creditKind: 'image',
    credits: 100,
    bonusCredits: 0,
    priceCents: 990,
    currency: 'usd',
    expiresAfterDays: 30,
  };
  const row: CheckoutRow = {
    id: `chk_${'1'.repeat(32)}`,
    account_id: 'acct_1',
    operation_id: null,
    provider: 'sandbox',
    provider_session_id: null,
    item_id: 'evil',
    item_type: 'pack',
    item: JSON.stringify(item),
    amount_cents: 990,
    currency: 'usd',
    status: 'open',
    status_reason: null,
    url: null,
    payment_ref: null,
    subscription_ref: null,
    purchase_id: null,
    created_at: '2026-11-02T10:00:00.000Z',
    updated_at: '2026-11-02T10:00:00.000Z',
    expires_at: '2026-11-03T10:00:00.000Z',
  };

  it('escapes everything and carries a CSP that allows exactly its one stylesheet', () => {
    const html = sandboxCheckoutPage(row, item, 'k"<key>');
    expect(html).toContain('/pay?key=k%22%3Ckey%3E"');
    expect(html).not.toContain('<script');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; friends');
    expect(html).toContain('Sandbox — no real payment');
    const style = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(pageHeaders['content-security-policy']).toContain(`style-src 'sha256-${hash}'`);
    expect(escapeHtml(`"'<>&\``)).toBe('&#34;&#39;&#60;&#62;&#38;&#96;');
  });

  it('offers the easel:// return link, which the app reads only as a hint', () => {
    const html = successPage({ ...row, status: 'complete' });
    expect(html).toContain(`href="easel://purchase?session=${row.id}"`);
    expect(purchaseLink(row.id)).toBe(`easel://purchase?session=${row.id}`);
    expect(parseEaselLink(purchaseLink(row.id))).toEqual({
      kind: 'purchase-return',
      sessionId: row.id,
    });
    // A checkout id that is not ours is dropped (the link still means "look at the server").
    expect(parseEaselLink('easel://purchase?session=chk_nothex')).toEqual({
      kind: 'purchase-return',
      sessionId: null,
    });
    expect(parseEaselLink(`https://evil.example/purchase?session=${row.id}`)).toBeNull();
    expect(parseEaselLink('easel://sync')).toEqual({ kind: 'sync' });
    expect(parseEaselLink('easel://delete-everything')).toBeNull();
    expect(parseEaselLink('not a url')).toBeNull();
  });

  it('formats money in the currency’s minor units', () => {
    expect(formatMoney(990, 'usd')).toBe('$9.90');
    expect(formatMoney(1200, 'jpy')).toBe('¥1,200');
  });
});
