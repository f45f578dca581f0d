import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanChangeResponse, PlanStatus } from '../../shared/api/plans';
import { DAY } from '../clock';
import { backends, opId, signUp } from '../testing/harness';
import { reconcile } from './reconcile';
import { type PurchaseServer, pullVerified, purchaseServer } from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;

/** docs/architecture.md §7, plan self-service in the sandbox: the same flow, no money. */
describe.each(backends)('plan self-service in the sandbox on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend);
  });
  afterAll(async () => t.close());

  const post = (u: User, url: string, payload: Record<string, unknown> = {}) =>
    t.app.inject({ method: 'POST', url, headers: u.headers, payload });
  const status = async (u: User) =>
    (await t.app.inject({ method: 'GET', url: '/v1/plan', headers: u.headers })).json<PlanStatus>();
  const planCredits = async (u: User) =>
    (await t.services.ledger.wallet(u.accountId)).buckets
      .filter((b) => b.source === 'plan' && b.live)
      .reduce((n, b) => n + b.remaining, 0);

  it('upgrades with the difference at once, downgrades at renewal, cancels, resumes and ends', async () => {
    const u = await signUp(t.app);
    const res = await post(u, '/v1/purchases/checkout', { itemId: 'pro' });
    const { sessionId } = res.json<{ sessionId: string }>();
    await t.purchases.sandbox.pay(sessionId);
    expect(await status(u)).toMatchObject({
      planId: 'pro',
      provider: 'sandbox',
      portal: false,
      renewsAt: new Date(Date.parse(t.clock.now()) + 30 * DAY).toISOString(),
    });
    expect((await post(u, '/v1/plan/portal')).json().error.code).toBe('no-portal');

    t.clock.advance(15 * DAY);
    const up = await post(u, '/v1/plan/change', { operationId: opId(), itemId: 'max' });
    expect(up.json<PlanChangeResponse>()).toMatchObject({
      outcome: 'upgraded',
      creditsGranted: 2000,
    });
    expect(await planCredits(u)).toBe(3000);
    const upgrade = (await pullVerified(t.app, u)).bodies.at(-1);
    // Half the period was left: half the price difference, recorded as a sandbox payment.
    expect(upgrade).toMatchObject({ type: 'purchase', itemId: 'max', priceCents: 800 });
    const { rows } = await t.db.query<{ amount_cents: number }>(
      `select amount_cents from sandbox_payments where account_id = $1 and payment_id like '%_up_%'`,
      [u.accountId],
    );
    expect(rows.map((r) => r.amount_cents)).toEqual([800]);

    const down = await post(u, '/v1/plan/change', { operationId: opId(), itemId: 'pro' });
    expect(down.json<PlanChangeResponse>().plan).toMatchObject({
      planId: 'max',
      pendingPlanId: 'pro',
    });
    t.clock.advance(15 * DAY);
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/signin',
      payload: { email: u.email, password: 'correct horse battery' },
    });
    u.headers.authorization = `Bearer ${signIn.json<{ token: string }>().token}`; // 30-day sessions
    expect(await t.purchases.plans.renewSandbox(u.accountId)).toBe('credited');
    expect(await status(u)).toMatchObject({ planId: 'pro', pendingPlanId: null });

    const report = await reconcile(t.purchases, '2026-11-01');
    expect(report.issues.filter((i) => i.accountId === u.accountId)).toEqual([]);

    const cancel = await post(u, '/v1/plan/cancel', { operationId: opId() });
    expect(cancel.json<PlanChangeResponse>().plan.cancelAtPeriodEnd).toBe(true);
    const resumeOp = opId();
    expect((await post(u, '/v1/plan/resume', { operationId: resumeOp })).statusCode).toBe(200);
    // The same operation id for another request is refused.
    const reused = await post(u, '/v1/plan/cancel', { operationId: resumeOp });
    expect(reused.json().error.code).toBe('operation-id-reused');
    await post(u, '/v1/plan/change', { operationId: opId(), itemId: 'free' });
    expect((await status(u)).cancelAtPeriodEnd).toBe(true);
    expect(await t.purchases.plans.renewSandbox(u.accountId)).toBe('canceled:plan=free');
    expect(await status(u)).toMatchObject({ planId: 'free', renewsAt: null });
  });

  it('grants an upgrade once when two race, and records one payment', async () => {
    const u = await signUp(t.app);
    const res = await post(u, '/v1/purchases/checkout', { itemId: 'pro' });
    await t.purchases.sandbox.pay(res.json<{ sessionId: string }>().sessionId);
    const answers = await Promise.all(
      [opId(), opId()].map((operationId) =>
        post(u, '/v1/plan/change', { operationId, itemId: 'max' }),
      ),
    );
    // The later one either finds Max already (409) or grants nothing in its ledger write.
    const granted = answers.map((a) =>
      a.statusCode === 409
        ? (expect(a.json().error.code).toBe('already-on-plan'), 0)
        : a.json<PlanChangeResponse>().creditsGranted,
    );
    expect(granted.reduce((n, c) => n + c, 0)).toBe(2000);
    expect(await planCredits(u)).toBe(3000);
    const { rows } = await t.db.query<{ n: number }>(
      `select count(*)::int as n from sandbox_payments where account_id = $1 and payment_id like '%_up_%'`,
      [u.accountId],
    );
    expect(rows[0]?.n).toBe(1);
  });
});
