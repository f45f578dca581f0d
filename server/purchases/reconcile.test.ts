import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planReversal } from '../../shared/wallet/plan';
import { backends, signUp } from '../testing/harness';
import { defaultCatalogData, findItem, parseCatalog } from './catalog';
import { purchaseDraft } from './drafts';
import { formatReconcileReport, reconcile } from './reconcile';
import {
  type PurchaseServer,
  purchaseServer,
  stripeStandIn,
  webhookOutcome,
} from './testing/purchase-server';

type User = Awaited<ReturnType<typeof signUp>>;
const pack100 = findItem(parseCatalog(defaultCatalogData), 'pack-100');

describe.each(backends)('reconcile on %s', (backend) => {
  let t: PurchaseServer;
  beforeAll(async () => {
    t = await purchaseServer(backend, { stripe: true });
  });
  afterAll(async () => t.close());

  const standIn = () => stripeStandIn(t);
  const send = (type: string, object: Record<string, unknown>) =>
    webhookOutcome(t, standIn().event(type, object).payload);
  /** A pack bought and paid at the stand-in; `deliver`: its completion reaches the webhook. */
  const buy = async (u: User, opts: { deliver?: boolean; amountTotal?: number } = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/purchases/checkout',
      headers: u.headers,
      payload: { itemId: 'pack-100' },
    });
    const { sessionId } = res.json<{ sessionId: string }>();
    const session = [...standIn().sessions.values()].find(
      (s) => s.client_reference_id === sessionId,
    );
    const paid = standIn().pay(String(session?.id), {
      ...(opts.amountTotal === undefined ? {} : { amountTotal: opts.amountTotal }),
    });
    if (opts.deliver !== false) await send('checkout.session.completed', paid);
    return {
      sessionId,
      purchaseId: `stripe:${String(paid.id)}`,
      paymentIntent: String(paid.payment_intent),
      paid,
    };
  };

  it('flags paid-not-credited, credited-twice, reversed-without-refund and refunded-not-reversed, and nothing else', async () => {
    const u = await signUp(t.app);
    if (!pack100) throw new Error('no pack-100');

    const clean = await buy(u);
    const refundedFirst = await buy(u, { deliver: false });
    await send('charge.refunded', standIn().refund(refundedFirst.paymentIntent));
    await send('checkout.session.completed', refundedFirst.paid); // credited and reversed at once
    const disputed = await buy(u);
    await send('charge.dispute.created', standIn().dispute(disputed.paymentIntent));

    const notCredited = await buy(u, { deliver: false });
    const refused = await buy(u, { amountTotal: 1 });

    const twice = await buy(u);
    // A bug that credits the same payment again under another purchase id.
    await t.services.ledger.write(
      u.accountId,
      { operationId: 'test:credit-again', request: {} },
      async (ctx) => {
        ctx.append(
          purchaseDraft({
            purchaseId: `${twice.purchaseId}-again`,
            provider: 'stripe',
            paymentRef: twice.paymentIntent,
            item: pack100,
            priceCents: 990,
            currency: 'usd',
            now: ctx.now,
          }),
        );
        return { status: 201, body: null };
      },
    );

    const reversedAlone = await buy(u);
    // A reversal that no refund or dispute at the provider explains.
    await t.services.ledger.write(
      u.accountId,
      { operationId: 'test:reverse-alone', request: {} },
      async (ctx) => {
        for (const plan of planReversal(ctx.fold.purchaseBuckets(reversedAlone.purchaseId) ?? []))
          ctx.append({
            type: 'reversal',
            operationId: 'test:reverse-alone',
            purchaseId: reversedAlone.purchaseId,
            reason: 'refunded',
            ...plan,
          });
        return { status: 201, body: null };
      },
    );

    const refundedOnly = await buy(u);
    standIn().refund(refundedOnly.paymentIntent); // the webhook never arrives

    const partly = await buy(u);
    standIn().refund(partly.paymentIntent, 300);

    // The sandbox's own record of a payment the ledger never saw.
    const sandboxPurchase = `sandbox:chk_${'ab'.repeat(16)}`;
    await t.db.query(
      'insert into sandbox_payments (payment_id, checkout_id, account_id, item_id, purchase_id, amount_cents, currency, paid_at) values ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        `sbx_pay_${'ab'.repeat(16)}`,
        `chk_${'ab'.repeat(16)}`,
        u.accountId,
        'pack-100',
        sandboxPurchase,
        990,
        'usd',
        t.clock.now(),
      ],
    );

    const report = await reconcile(t.purchases, '2026-11-01');
    const mine = report.issues
      .filter((i) => i.accountId === u.accountId || i.accountId === null)
      .map((i) => `${i.kind} ${i.purchaseId}`)
      .sort();
    expect(mine).toEqual(
      [
        `paid-not-credited ${notCredited.purchaseId}`,
        `paid-not-credited ${refused.purchaseId}`,
        `credited-twice ${twice.purchaseId}`,
        `credited-twice ${twice.purchaseId}-again`,
        `credited-without-payment ${twice.purchaseId}-again`,
        `reversed-without-refund ${reversedAlone.purchaseId}`,
        `refunded-not-reversed ${refundedOnly.purchaseId}`,
        `partial-refund ${partly.purchaseId}`,
        `paid-not-credited ${sandboxPurchase}`,
      ].sort(),
    );
    const issue = (kind: string, purchaseId: string) =>
      report.issues.find((i) => i.kind === kind && i.purchaseId === purchaseId);
    expect(issue('paid-not-credited', refused.purchaseId)?.message).toContain(
      'refused: amount-mismatch',
    );
    for (const ok of [clean, refundedFirst, disputed]) {
      const line = report.lines.find((l) => l.purchaseId === ok.purchaseId);
      expect(line?.payment?.amountCents).toBe(990);
      expect(line?.credited).toHaveLength(1);
    }
    expect(report.lines.find((l) => l.purchaseId === refundedFirst.purchaseId)?.reversals).toEqual([
      expect.objectContaining({ reason: 'refunded', amount: 100 }),
    ]);
    expect(report.providers).toEqual(['sandbox', 'stripe']);

    const text = formatReconcileReport(report);
    expect(text).toContain('PAID-NOT-CREDITED');
    expect(text).toContain('CREDITED-TWICE');
    expect(text).toContain('REVERSED-WITHOUT-REFUND');
    expect(text).toContain(clean.purchaseId);
    expect(text).toMatch(/\d+ mismatches:/);

    // A later window leaves these payments out.
    const later = await reconcile(t.purchases, '2026-12-01T00:00:00Z');
    expect(later.issues.filter((i) => i.accountId === u.accountId)).toEqual([]);
    expect(formatReconcileReport(later)).toContain('No mismatches');
  });

  it('refuses a since that is not a date', async () => {
    await expect(reconcile(t.purchases, 'last tuesday')).rejects.toThrow(/--since/);
    await expect(reconcile(t.purchases, '2026-13-45')).rejects.toThrow(/--since/);
  });
});
