import type { FastifyInstance } from 'fastify';
import {
  PlanActionRequest,
  PlanChangeRequest,
  PlanChangeResponse,
  PlanStatus,
  PortalResponse,
} from '../../shared/api/plans';
import { messagePage, pageHeaders } from './pages';
import type { Purchases } from './purchases';
import type { AccountOf, Router } from './routes';

/** Plan self-service routes (docs/architecture.md §7): what the Store, Wallet and Settings call. */
export function registerPlanRoutes(
  app: FastifyInstance,
  route: Router,
  accountOf: AccountOf,
  purchases: Purchases,
): void {
  const plans = purchases.plans;
  route(
    {
      method: 'GET',
      path: '/v1/plan',
      summary:
        'Subscriptions and rollover: the current plan, its renewal, credits per period, how many unused credits roll over, and the next grant',
      auth: true,
      response: PlanStatus,
    },
    async ({ request }) => ({ body: await plans.status(await accountOf(request)) }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/plan/change',
      summary:
        'Subscriptions: change plan; an upgrade is charged prorated and grants the difference at once, a downgrade takes effect at renewal',
      auth: true,
      body: PlanChangeRequest,
      response: PlanChangeResponse,
    },
    async ({ request, body }) => ({ body: await plans.change(await accountOf(request), body) }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/plan/cancel',
      summary: 'Subscriptions: cancel at the end of the paid period (credits already granted stay)',
      auth: true,
      body: PlanActionRequest,
      response: PlanChangeResponse,
    },
    async ({ request, body }) => ({ body: await plans.cancel(await accountOf(request), body) }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/plan/resume',
      summary: 'Subscriptions: undo a cancellation before the period ends',
      auth: true,
      body: PlanActionRequest,
      response: PlanChangeResponse,
    },
    async ({ request, body }) => ({ body: await plans.resume(await accountOf(request), body) }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/plan/portal',
      summary: "Subscriptions: a link to Stripe's customer portal (plans paid through Stripe)",
      auth: true,
      response: PortalResponse,
    },
    async ({ request }) => ({ body: { url: await plans.portal(await accountOf(request)) } }),
  );
  // Where the customer portal sends the browser back to.
  app.get('/plan/portal-return', async (_req, reply) =>
    reply
      .code(200)
      .headers(pageHeaders)
      .send(
        messagePage('Back to Easel', 'Your plan is updated in the app. You can close this tab.'),
      ),
  );
}
