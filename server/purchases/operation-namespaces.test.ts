import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEVEL } from '../../shared/log/logger';
import { backends, signUp } from '../testing/harness';
import {
  type PurchaseServer,
  deliverWebhook,
  purchaseServer,
  stripeStandIn,
} from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;
const job = { kind: 'job', jobId: 'job-1', tool: 'generate' } as const;

/**
 * docs/architecture.md §2 (idempotency) and §7: a buyer cannot take the server's own operation
 * ids, so a refund or dispute always takes the credits back; an id taken anyway (data from
 * before the namespaces) is an operator incident, and the reversal still happens.
 */
describe.each(backends)('operation id namespaces on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend, { stripe: true });
  });
  afterAll(async () => t.close());

  const event = (type: string, object: Record<string, unknown>) =>
    stripeStandIn(t).event(type, object).payload;
  const balance = async (u: User) =>
    (await t.services.ledger.wallet(u.accountId)).balances.image?.balance;
  /** Buys pack-100 and returns the charge a refund will name. */
  const buyPack = async (u: User) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId: 'pack-100' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const sessionId = res.json<{ sessionId: string }>().sessionId;
    const session = [...stripeStandIn(t).sessions.values()].find(
      (s) => s.client_reference_id === sessionId,
    );
    const paid = stripeStandIn(t).pay(String(session?.id));
    const credited = await deliverWebhook(t, event('checkout.session.completed', paid));
    expect(credited.json().outcome).toBe('credited');
    const paymentIntent = String(paid.payment_intent);
    const charge = [...stripeStandIn(t).charges.values()].find(
      (c) => c.payment_intent === paymentIntent,
    );
    return { paymentIntent, chargeId: String(charge?.id) };
  };
  const hold = (u: User, operationId: string, amount = 1) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/ledger/holds',
      headers: u.headers,
      payload: { operationId, kind: 'image', amount, purpose: job },
    });

  it("refuses a client operation id with ':', so a buyer cannot claim the refund's id", async () => {
    const u = await signUp(t.app);
    const { paymentIntent, chargeId } = await buyPack(u);
    expect(await balance(u)).toBe(20 + 100);
    const claim = await hold(u, `stripe:refund:${chargeId}`);
    expect(claim.statusCode, claim.body).toBe(400);
    expect(claim.json().error.code).toBe('invalid-request');
    // The buyer spends 100; the refund still takes the pack back (the balance goes negative).
    const spend = await hold(u, 'spend-most-of-it', 100);
    expect(spend.statusCode, spend.body).toBe(201);
    const { holdId } = spend.json<{ holdId: string }>();
    const captured = await t.app.inject({
      method: 'POST',
      url: `/v1/ledger/holds/${holdId}/capture`,
      headers: u.headers,
      payload: { operationId: 'capture-most-of-it', amount: 100 },
    });
    expect(captured.statusCode, captured.body).toBe(200);
    expect(await balance(u)).toBe(20);
    const refunded = stripeStandIn(t).refund(paymentIntent);
    const r = await deliverWebhook(t, event('charge.refunded', refunded));
    expect(r.json().outcome).toBe('reversed');
    expect(await balance(u)).toBe(20 - 100);
  });

  it('reverses anyway when the id was taken before the namespaces, and reports an operator incident', async () => {
    const u = await signUp(t.app);
    const { paymentIntent, chargeId } = await buyPack(u);
    // What a claim made before client ids lost ':' left behind.
    await t.db.query(
      'insert into operations (account_id, operation_id, request_hash, status, result) values ($1, $2, $3, $4, $5)',
      [u.accountId, `stripe:refund:${chargeId}`, 'f'.repeat(64), 201, '{}'],
    );
    const refunded = stripeStandIn(t).refund(paymentIntent);
    const first = await deliverWebhook(t, event('charge.refunded', refunded));
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().outcome).toBe('reversed');
    expect(await balance(u)).toBe(20);
    // A repeat delivery takes nothing more.
    const again = await deliverWebhook(t, event('charge.refunded', refunded));
    expect(again.json().outcome).toBe('already-reversed');
    expect(await balance(u)).toBe(20);
    const { rows } = await t.db.query<{ code: string }>(
      'select code from purchase_incidents where account_id = $1',
      [u.accountId],
    );
    expect(rows.map((r) => r.code)).toContain('operation-id-conflict');
    expect(
      t.log.lines.some((l) => l.level === LEVEL.error && /operator incident/.test(l.msg ?? '')),
    ).toBe(true);
  });
});
