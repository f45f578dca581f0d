import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryBody, EntryOf } from '../../shared/ledger/entry';
import { WalletFold } from '../../shared/wallet/fold';
import { DAY, HOUR, MINUTE } from '../clock';
import { backends, opId, signUp } from '../testing/harness';
import { defaultCatalogData } from './catalog';
import {
  type PurchaseServer,
  pullVerified,
  purchaseServer,
  stripeStandIn,
  webhookOutcome,
} from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;

/** The default catalog with Pro rolling up to 500 credits over (docs/architecture.md §2). */
const rolloverCatalog = {
  version: 1,
  items: defaultCatalogData.items.map((i) =>
    i.itemId === 'free'
      ? { ...i, dailyCredits: 0 }
      : i.itemId === 'pro'
        ? { ...i, expiresAfterDays: 35, rolloverCap: 500, rolloverExpiresAfterDays: 45 }
        : i,
  ),
};
const START = '2026-11-02T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(START) + ms).toISOString();

describe.each(backends)('plan rollover on %s (Stripe)', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend, { stripe: true, start: START, catalog: rolloverCatalog });
  });
  afterAll(async () => t.close());

  const standIn = () => stripeStandIn(t);
  const send = (type: string, object: Record<string, unknown>) =>
    webhookOutcome(t, standIn().event(type, object).payload);
  const subscribe = async (u: User) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId: 'pro' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { sessionId } = res.json<{ sessionId: string }>();
    const session = [...standIn().sessions.values()].find(
      (s) => s.client_reference_id === sessionId,
    );
    if (!session) throw new Error('no session');
    const paid = standIn().pay(String(session.id));
    expect(await send('checkout.session.completed', paid)).toBe('subscription-active');
    const first = standIn().invoices.get(String(paid.invoice));
    if (!first) throw new Error('no invoice');
    expect(await send('invoice.paid', first)).toBe('credited');
    return String(paid.subscription);
  };
  /** A run that holds and then captures `amount`; returns the buckets it paid from. */
  const spend = async (u: User, amount: number) => {
    const hold = await t.services.ledger.hold(u.accountId, {
      operationId: opId(),
      kind: 'image',
      amount,
      purpose: { kind: 'job', jobId: opId('job'), tool: 'generate' },
    });
    await t.services.ledger.capture(u.accountId, hold.body.holdId, {
      operationId: opId(),
      amount,
    });
    return t.services.ledger.wallet(u.accountId);
  };
  /** Sessions last 30 days: the clock moves further, so sign in again before pulling. */
  const signInAgain = async (u: User) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/signin',
      payload: { email: u.email, password: 'correct horse battery' },
    });
    expect(res.statusCode).toBe(200);
    u.headers.authorization = `Bearer ${res.json<{ token: string }>().token}`;
    return u;
  };
  const rollovers = async (u: User) =>
    (await pullVerified(t.app, await signInAgain(u))).bodies.filter(
      (b): b is EntryOf<'rollover'> => b.type === 'rollover',
    );
  const balance = async (u: User) =>
    (await t.services.ledger.wallet(u.accountId)).balances.image?.balance;
  const bucketsBy = async (u: User, source: string) =>
    (await t.services.ledger.wallet(u.accountId)).buckets
      .filter((b) => b.source === source && b.live)
      .map((b) => ({ id: b.bucketId, remaining: b.remaining }));

  it('rolls unused credits over at each renewal, up to the cap, with spending on the renewal day', async () => {
    const u = await signUp(t.app);
    const sub = await subscribe(u);
    expect(await balance(u)).toBe(1000);
    t.clock.set(at(1 * DAY));
    await spend(u, 300);

    // Renewal 1, 30 days on. 100 more are spent that day, before the invoice: 600 unused.
    t.clock.set(at(30 * DAY - HOUR));
    await spend(u, 100);
    t.clock.set(at(30 * DAY));
    const second = standIn().renew(sub);
    expect(await send('invoice.paid', second)).toBe('credited');
    // A repeat under a new event id is a replay: no second rollover.
    expect(await send('invoice.paid', second)).toBe('already-credited');
    let rolled = await rollovers(u);
    expect(rolled).toHaveLength(1);
    expect(rolled[0]).toMatchObject({
      planId: 'pro',
      purchaseId: `stripe:${String(second.id)}`,
      amount: 500,
      cap: 500,
      ended: [{ amount: 100 }],
      bucket: {
        source: 'rollover',
        amount: 500,
        // Its own expiry: 45 days from the renewal. Its cost: its share of the 990 paid.
        expiresAt: at(75 * DAY),
        costBasisCents: 495,
      },
    });
    expect(await balance(u)).toBe(1500);
    // Spent the same day after the renewal: the new month goes first (it expires sooner).
    t.clock.set(at(30 * DAY + HOUR));
    await spend(u, 50);
    expect(await bucketsBy(u, 'rollover')).toEqual([
      { id: `stripe:${String(second.id)}:rollover`, remaining: 500 },
    ]);
    expect(await balance(u)).toBe(1450);

    // Renewal 2: the live rollover bucket already fills the cap; the 950 unused all end.
    t.clock.set(at(61 * DAY));
    const third = standIn().renew(sub);
    expect(await send('invoice.paid', third)).toBe('credited');
    rolled = await rollovers(u);
    expect(rolled[1]).toMatchObject({ amount: 0, bucket: null, ended: [{ amount: 950 }] });
    expect(await balance(u)).toBe(1500);

    // The first rollover bucket expires at 75 days; renewal 3 has room for 500 again. An open
    // hold's 100 credits stay in their month and are captured from it after the renewal.
    t.clock.set(at(76 * DAY));
    await spend(u, 200);
    expect(await bucketsBy(u, 'rollover')).toEqual([]);
    t.clock.set(at(91 * DAY - MINUTE));
    const hold = await t.services.ledger.hold(u.accountId, {
      operationId: opId(),
      kind: 'image',
      amount: 100,
      purpose: { kind: 'job', jobId: opId('job'), tool: 'generate' },
    });
    t.clock.set(at(91 * DAY));
    const fourth = standIn().renew(sub);
    expect(await send('invoice.paid', fourth)).toBe('credited');
    rolled = await rollovers(u);
    expect(rolled[2]).toMatchObject({ amount: 500, ended: [{ amount: 200 }] });
    await t.services.ledger.capture(u.accountId, hold.body.holdId, {
      operationId: opId(),
      amount: 100,
    });
    expect(await balance(u)).toBe(1500);

    // Offline: the chain verifies (pullVerified) and folds to the server's balance.
    const { bodies } = await pullVerified(t.app, await signInAgain(u));
    const fold = new WalletFold();
    for (const b of bodies) fold.apply(b as EntryBody);
    expect(fold.view(t.clock.now()).balances.image?.balance).toBe(1500);
  });

  it('rolls nothing over on a plan without a cap', async () => {
    const u = await signUp(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId: 'max' },
    });
    const { sessionId } = res.json<{ sessionId: string }>();
    const session = [...standIn().sessions.values()].find(
      (s) => s.client_reference_id === sessionId,
    );
    const paid = standIn().pay(String(session?.id));
    await send('checkout.session.completed', paid);
    const first = standIn().invoices.get(String(paid.invoice));
    if (!first) throw new Error('no invoice');
    await send('invoice.paid', first);
    t.clock.advance(30 * DAY);
    expect(await send('invoice.paid', standIn().renew(String(paid.subscription)))).toBe('credited');
    expect(await rollovers(u)).toEqual([]);
  });
});
