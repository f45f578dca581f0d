import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntryBody } from '../../shared/ledger/entry';
import { DAY } from '../clock';
import { buildApp } from '../http/app';
import { defaultCatalogData } from '../purchases/catalog';
import { registerPurchaseRoutes } from '../purchases/routes';
import { type PurchaseServer, purchaseServer } from '../purchases/testing/purchase-server';
import { backends, opId } from '../testing/harness';
import { teamFixture } from '../testing/team-fixture';
import { registerTeamPurchaseRoutes } from './purchase-routes';

/**
 * docs/architecture.md §14, team plans: a plan bought for a team gives the team wallet what was
 * paid for (each paid month's credits, and their rollover), never the free grants a person's
 * plan brings (daily credits, a free plan's monthly credits): the team account's plan stays
 * `team`, also after the subscription ends.
 */
const catalog = {
  version: 1,
  items: [
    ...defaultCatalogData.items.map((i) =>
      // A free plan with free monthly credits too, so falling back to it would show.
      i.itemId === 'free' ? { ...i, monthlyCredits: 50 } : i,
    ),
    {
      type: 'plan',
      itemId: 'studio',
      title: 'Studio',
      description: '500 credits a month and 15 free each day.',
      interval: 'month',
      monthlyCredits: 500,
      dailyCredits: 15,
      priceCents: 1990,
      currency: 'usd',
      expiresAfterDays: 35,
      rolloverCap: 200,
      rolloverExpiresAfterDays: 45,
    },
  ],
};

describe.each(backends)('plan credits on a team wallet on %s', (backend) => {
  let t: PurchaseServer;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await purchaseServer(backend, { catalog });
    app = buildApp(t.services, {
      extend: (a, route, accountOf) => {
        registerPurchaseRoutes(a, route, accountOf, t.purchases);
        registerTeamPurchaseRoutes(route, t.services.db, accountOf, t.purchases);
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  const bodies = async (accountId: string) => {
    const { rows } = await t.db.query<{ body: string }>(
      'select body from entries where account_id = $1 order by seq',
      [accountId],
    );
    return rows.map((r) => EntryBody.parse(JSON.parse(r.body)));
  };
  const freeGrants = async (accountId: string) =>
    (await bodies(accountId)).filter(
      (b) => b.type === 'grant' && (b.bucket.source === 'daily' || b.bucket.source === 'monthly'),
    );
  const planOf = async (accountId: string) =>
    (await t.db.query<{ plan: string }>('select plan from accounts where id = $1', [accountId]))
      .rows[0]?.plan;
  /** Any write on the account: the ledger adds the free grants its plan is due first. */
  const touch = (accountId: string) =>
    t.services.ledger.grant(accountId, {
      operationId: opId('touch'),
      amount: 1,
      source: 'promo',
      reason: 'touch',
    });

  it('gives the team the paid months and their rollover, never daily or free monthly credits', async () => {
    const team = await teamFixture(app, null, { name: 'Plan buyers', members: [] });
    const { owner } = team;
    const buy = async (url: string) => {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: owner.headers,
        payload: { itemId: 'studio' },
      });
      expect(res.statusCode).toBe(201);
      const sessionId = res.json<{ sessionId: string }>().sessionId;
      await t.purchases.sandbox.pay(sessionId);
      return sessionId;
    };
    const teamCheckout = await buy(`/v1/teams/${team.teamId}/purchases/checkout`);
    // The same plan bought by the owner for themself: the control, which does get daily credits.
    await buy('/v1/purchases/checkout');
    expect(await planOf(owner.accountId)).toBe('studio');
    expect(await planOf(team.accountId)).toBe('team');

    t.clock.advance(DAY);
    await touch(owner.accountId);
    await touch(team.accountId);
    expect(
      (await freeGrants(owner.accountId)).map((b) => b.type === 'grant' && b.bucket.amount),
    ).toContain(15);
    expect(await freeGrants(team.accountId)).toEqual([]);

    // A renewal: the team gets the month it paid for, and the unused credits roll over.
    t.clock.advance(29 * DAY);
    expect(await t.purchases.plans.renewSandbox(team.accountId)).toBe('credited');
    const afterRenewal = await bodies(team.accountId);
    expect(afterRenewal.filter((b) => b.type === 'purchase' && b.itemId === 'studio')).toHaveLength(
      2,
    );
    expect(afterRenewal.some((b) => b.type === 'rollover')).toBe(true);

    // The subscription ends: the team wallet does not fall back to the free plan's grants.
    expect(await t.purchases.sandbox.cancelSubscription(teamCheckout)).toMatch(/^canceled/);
    expect(await planOf(team.accountId)).toBe('team');
    t.clock.advance(DAY);
    await touch(team.accountId);
    t.clock.advance(32 * DAY);
    await touch(team.accountId);
    expect(await freeGrants(team.accountId)).toEqual([]);
    expect(await planOf(team.accountId)).toBe('team');
  });
});
