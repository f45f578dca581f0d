import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntryBody } from '../../shared/ledger/entry';
import { buildApp } from '../http/app';
import { registerPurchaseRoutes } from '../purchases/routes';
import { type PurchaseServer, purchaseServer } from '../purchases/testing/purchase-server';
import { backends, signUp } from '../testing/harness';
import { type User, teamFixture } from '../testing/team-fixture';
import { registerTeamPurchaseRoutes } from './purchase-routes';

// docs/architecture.md §14: owners and admins buy for the team; the credits land on its chain.
describe.each(backends)('team purchases (sandbox) on %s', (backend) => {
  let t: PurchaseServer;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await purchaseServer(backend);
    // The routes wired as server/start.ts wires them.
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

  it('an owner buys a pack for the team; a member may not; the pack is a purchase on the team chain', async () => {
    const team = await teamFixture(app, null, { name: 'Buyers' });
    const { owner } = team;
    const member = team.members[0] as User;
    const checkout = (u: typeof owner, teamId = team.teamId) =>
      app.inject({
        method: 'POST',
        url: `/v1/teams/${teamId}/purchases/checkout`,
        headers: u.headers,
        payload: { itemId: 'pack-200' },
      });
    const refused = await checkout(member);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('team-role');
    const outsider = await signUp(app);
    expect((await checkout(outsider)).statusCode).toBe(404);

    const c = await checkout(owner);
    expect(c.statusCode).toBe(201);
    const url = new URL(c.json().url as string);
    const pay = await app.inject({
      method: 'POST',
      url: `${url.pathname}/pay${url.search}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(pay.statusCode).toBe(303);
    const status = await app.inject({
      method: 'GET',
      url: `/v1/teams/${team.teamId}/purchases/${c.json().sessionId}`,
      headers: owner.headers,
    });
    expect(status.json()).toMatchObject({ status: 'complete' });
    // Not the owner's own purchase.
    expect(
      (
        await app.inject({
          method: 'GET',
          url: `/v1/purchases/${c.json().sessionId}`,
          headers: owner.headers,
        })
      ).statusCode,
    ).toBe(404);
    const page = (
      await app.inject({
        method: 'GET',
        url: `/v1/teams/${team.teamId}/ledger/entries`,
        headers: member.headers,
      })
    ).json<{ entries: Array<{ body: string }> }>();
    const bodies = page.entries.map((e) => EntryBody.parse(JSON.parse(e.body)));
    expect(bodies.filter((b) => b.type === 'purchase')).toEqual([
      expect.objectContaining({ accountId: team.accountId, itemId: 'pack-200' }),
    ]);
    const balance = (
      await app.inject({
        method: 'GET',
        url: `/v1/teams/${team.teamId}/balance`,
        headers: member.headers,
      })
    ).json();
    expect(balance.balances.image.balance).toBeGreaterThanOrEqual(200);
    const own = (
      await app.inject({ method: 'GET', url: '/v1/ledger/balance', headers: owner.headers })
    ).json();
    expect(own.balances.image?.balance ?? 0).toBeLessThan(200);
  });
});
