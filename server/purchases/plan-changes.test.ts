import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanChangeResponse, PlanStatus } from '../../shared/api/plans';
import { DAY } from '../clock';
import { backends, opId, signUp } from '../testing/harness';
import { reconcile } from './reconcile';
import {
  type PurchaseServer,
  pullVerified,
  purchaseServer,
  stripeStandIn,
  webhookOutcome,
} from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;

/** docs/architecture.md §7, plan self-service, with the real Stripe SDK against the stand-in. */
describe.each(backends)('plan self-service on %s (Stripe)', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend, { stripe: true });
  });
  afterAll(async () => t.close());

  const standIn = () => stripeStandIn(t);
  const send = (type: string, object: Record<string, unknown>) =>
    webhookOutcome(t, standIn().event(type, object).payload);
  const api = async (u: User, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: u.headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const status = async (u: User) => (await api(u, 'GET', '/v1/plan')).json<PlanStatus>();
  const change = async (u: User, itemId: string, operationId = opId()) =>
    api(u, 'POST', '/v1/plan/change', { operationId, itemId });
  /** Live plan credits (daily credits come and go with the days). */
  const balance = async (u: User) =>
    (await t.services.ledger.wallet(u.accountId)).buckets
      .filter((b) => b.source === 'plan' && b.live)
      .reduce((n, b) => n + b.remaining, 0);
  const signInAgain = async (u: User) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/signin',
      payload: { email: u.email, password: 'correct horse battery' },
    });
    u.headers.authorization = `Bearer ${res.json<{ token: string }>().token}`;
  };
  const subscribe = async (u: User, itemId: string) => {
    const res = await api(u, 'POST', '/v1/purchases/checkout', { itemId });
    expect(res.statusCode, res.body).toBe(201);
    const { sessionId } = res.json<{ sessionId: string }>();
    const session = [...standIn().sessions.values()].find(
      (s) => s.client_reference_id === sessionId,
    );
    const paid = standIn().pay(String(session?.id));
    expect(await send('checkout.session.completed', paid)).toBe('subscription-active');
    const first = standIn().invoices.get(String(paid.invoice));
    if (!first) throw new Error('no invoice');
    expect(await send('invoice.paid', first)).toBe('credited');
    return String(paid.subscription);
  };

  it('shows the free plan and its next daily grant, and refuses changes without a subscription', async () => {
    const u = await signUp(t.app);
    expect(await status(u)).toMatchObject({
      planId: 'free',
      renewsAt: null,
      dailyCredits: 20,
      nextGrant: { kind: 'daily', credits: 20, at: '2026-11-03T00:00:00.000Z' },
      portal: false,
      provider: 'stripe',
    });
    const res = await change(u, 'max');
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('no-subscription');
    expect((await api(u, 'POST', '/v1/plan/portal')).statusCode).toBe(409);
  });

  it('upgrades at once with the difference granted once, downgrades at renewal, cancels and resumes', async () => {
    const u = await signUp(t.app);
    const sub = await subscribe(u, 'pro');
    const start = t.clock.now();
    // Stripe's period end arrives with customer.subscription.updated.
    expect(
      await send('customer.subscription.updated', standIn().subscriptions.get(sub) ?? {}),
    ).toBe('updated:cancel-at-period-end=false');
    expect(await status(u)).toMatchObject({
      planId: 'pro',
      creditsPerPeriod: 1000,
      renewsAt: new Date(Date.parse(start) + 30 * DAY).toISOString(),
      nextGrant: { kind: 'renewal', credits: 1000 },
      portal: true,
    });
    const before = await balance(u);

    // Ten days in, an upgrade to Max: 2/3 of the price difference now, 2,000 credits at once.
    t.clock.advance(10 * DAY);
    const op = opId();
    const up = await change(u, 'max', op);
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json<PlanChangeResponse>()).toMatchObject({
      outcome: 'upgraded',
      creditsGranted: 2000,
      plan: { planId: 'max', creditsPerPeriod: 3000 },
    });
    expect(await balance(u)).toBe(before + 2000);
    const update = standIn().requests.find(
      (r) => r.method === 'POST' && r.path === `/v1/subscriptions/${sub}`,
    );
    expect(update?.params).toMatchObject({ proration_behavior: 'always_invoice' });
    const prorated = [...standIn().invoices.values()].find(
      (i) => i.billing_reason === 'subscription_update',
    );
    if (!prorated) throw new Error('no proration invoice');
    expect(prorated.amount_paid).toBe(Math.round((2590 - 990) * (20 / 30)));
    // The same upgrade again: the API replays; the invoice's webhook is the same purchase.
    expect((await change(u, 'max', op)).json<PlanChangeResponse>().creditsGranted).toBe(2000);
    expect(await send('invoice.paid', prorated)).toBe('already-credited');
    // Another upgrade invoice to the same plan grants nothing: the plan is Max already.
    expect(await send('invoice.paid', { ...prorated, id: 'in_test_another_upgrade' })).toBe(
      'upgraded:no-difference',
    );
    expect((await change(u, 'max')).json().error.code).toBe('already-on-plan');
    expect(await balance(u)).toBe(before + 2000);
    const purchases = (await pullVerified(t.app, u)).bodies.filter((b) => b.type === 'purchase');
    expect(purchases.at(-1)).toMatchObject({
      itemId: 'max',
      priceCents: prorated.amount_paid,
      buckets: [{ source: 'plan', amount: 2000 }],
    });

    // A downgrade waits for the renewal; Stripe bills the cheaper price from then.
    const down = await change(u, 'pro');
    expect(down.json<PlanChangeResponse>()).toMatchObject({
      outcome: 'downgrade-scheduled',
      plan: { planId: 'max', pendingPlanId: 'pro', nextGrant: { credits: 1000 } },
    });
    expect(standIn().subscriptions.get(sub)?.amount).toBe(990);
    t.clock.advance(20 * DAY);
    await signInAgain(u);
    const renewal = standIn().renew(sub);
    const beforeRenewal = await balance(u);
    expect(await send('invoice.paid', renewal)).toBe('credited');
    expect(await status(u)).toMatchObject({ planId: 'pro', pendingPlanId: null });
    const month = (await pullVerified(t.app, u)).bodies.at(-1);
    expect(month).toMatchObject({ type: 'purchase', itemId: 'pro', priceCents: 990 });
    expect(await balance(u)).toBeGreaterThan(beforeRenewal);

    // Reconciliation finds each payment (the month, the proration, the renewal) credited once.
    const report = await reconcile(t.purchases, '2026-11-01');
    expect(report.issues.filter((i) => i.accountId === u.accountId)).toEqual([]);
    expect(report.lines.filter((l) => l.payment?.accountId === u.accountId)).toHaveLength(3);

    // Cancel at period end, then resume; both on the Stripe subscription.
    const cancel = await api(u, 'POST', '/v1/plan/cancel', { operationId: opId() });
    expect(cancel.json<PlanChangeResponse>()).toMatchObject({
      outcome: 'cancel-scheduled',
      plan: { planId: 'pro', cancelAtPeriodEnd: true, nextGrant: null },
    });
    expect(standIn().subscriptions.get(sub)?.cancel_at_period_end).toBe(true);
    const resume = await api(u, 'POST', '/v1/plan/resume', { operationId: opId() });
    expect(resume.json<PlanChangeResponse>().plan.cancelAtPeriodEnd).toBe(false);
    expect(standIn().subscriptions.get(sub)?.cancel_at_period_end).toBe(false);
    expect((await api(u, 'POST', '/v1/plan/resume', { operationId: opId() })).statusCode).toBe(409);

    // The portal link, for the subscription's customer; a cancel made there reaches us by event.
    const portal = await api(u, 'POST', '/v1/plan/portal');
    expect(portal.json<{ url: string }>().url).toMatch(/^https:\/\/billing\.stripe\.test\//);
    expect(
      standIn().requests.find((r) => r.path === '/v1/billing_portal/sessions')?.params.customer,
    ).toBe(standIn().subscriptions.get(sub)?.customer);
    const inPortal = { ...standIn().subscriptions.get(sub), cancel_at_period_end: true };
    expect(await send('customer.subscription.updated', inPortal)).toBe(
      'updated:cancel-at-period-end=true',
    );
    expect((await status(u)).cancelAtPeriodEnd).toBe(true);
    expect(await send('customer.subscription.deleted', standIn().cancel(sub))).toBe(
      'canceled:plan=free',
    );
    expect((await status(u)).planId).toBe('free');
  });

  it('names subscriptions and rollover in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(doc.paths['/v1/plan'].get.summary).toMatch(/^Subscriptions and rollover/);
    for (const p of ['change', 'cancel', 'resume', 'portal'])
      expect(doc.paths[`/v1/plan/${p}`].post.summary).toMatch(/^Subscriptions/);
  });
});
