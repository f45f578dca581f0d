import type { FastifyRequest } from 'fastify';
import {
  CheckoutId,
  CheckoutStatusResponse,
  CreateCheckoutRequest,
  CreateCheckoutResponse,
} from '../../shared/api/purchases';
import type { Database } from '../db/database';
import { type makeRouter, parseOr400 } from '../http/route';
import type { Purchases } from '../purchases/purchases';
import { membership, requireRole } from './team-store';

type Router = ReturnType<typeof makeRouter>;

/**
 * Purchases for a team (docs/architecture.md §7, §14): owners and admins buy packs and plans
 * for the team wallet through the same checkout and fulfilment as a personal purchase, with the
 * team's account as the buyer, so the credits land on the team chain.
 */
export function registerTeamPurchaseRoutes(
  route: Router,
  db: Database,
  accountOf: (r: FastifyRequest) => Promise<string>,
  purchases: Purchases,
): void {
  const buyer = async (request: FastifyRequest, teamId: string) => {
    const { team, role } = await membership(db, teamId, await accountOf(request));
    requireRole(role, ['owner', 'admin'], 'buy for the team');
    return team.account_id;
  };
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/purchases/checkout',
      summary: 'Teams: start a checkout for the team wallet (owners and admins)',
      auth: true,
      body: CreateCheckoutRequest,
      response: CreateCheckoutResponse,
    },
    async ({ request, params, body }) =>
      purchases.checkouts.create(await buyer(request, params.teamId ?? ''), body),
  );
  route(
    {
      method: 'GET',
      path: '/v1/teams/{teamId}/purchases/{sessionId}',
      summary: 'Teams: how a team checkout stands (owners and admins)',
      auth: true,
      response: CheckoutStatusResponse,
    },
    async ({ request, params }) => {
      const accountId = await buyer(request, params.teamId ?? '');
      const id = parseOr400(CheckoutId, params.sessionId, 'sessionId');
      return { body: await purchases.checkouts.status(accountId, id) };
    },
  );
}
