import type { FastifyInstance } from 'fastify';
import { AutoTopupResponse, SetAutoTopupRequest } from '../../shared/api/auto-topup';
import { PurchaseListResponse } from '../../shared/api/purchase-list';
import type { Purchases } from './purchases';
import { messagePage, pageHeaders } from './pages';
import { listPurchases, receiptPage, sandboxReceipt } from './receipts';
import type { AccountOf, Router } from './routes';

/** Receipts, the purchase list and auto top-up (docs/architecture.md §7). */
export function registerMoneyRoutes(
  app: FastifyInstance,
  route: Router,
  accountOf: AccountOf,
  purchases: Purchases,
): void {
  route(
    {
      method: 'GET',
      path: '/v1/purchases',
      summary:
        'Purchases credited to this account, newest first: date, item, price, credits, receipt link, refunds and disputes',
      auth: true,
      response: PurchaseListResponse,
    },
    async ({ request }) => ({
      body: await listPurchases(purchases.services.db, await accountOf(request)),
    }),
  );
  route(
    {
      method: 'GET',
      path: '/v1/account/auto-topup',
      summary:
        "Auto top-up: the settings, the saved card, this month's top-ups against the cap, and the latest attempts",
      auth: true,
      response: AutoTopupResponse,
    },
    async ({ request }) => ({ body: await purchases.autoTopups.view(await accountOf(request)) }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/account/auto-topup',
      summary:
        'Set auto top-up (opt-in): below the threshold, buy the pack with the saved card, at most the monthly cap',
      auth: true,
      body: SetAutoTopupRequest,
      response: AutoTopupResponse,
    },
    async ({ request, body }) => ({
      body: await purchases.autoTopups.set(await accountOf(request), body),
    }),
  );
  // The sandbox's receipt pages: no sign-in (opened in the system browser); the key is the guard.
  app.get<{ Params: { key: string } }>('/receipts/:key', async (req, reply) => {
    const key = /^rcpt_[0-9a-f]{32}$/.test(req.params.key) ? req.params.key : null;
    const found = key ? await sandboxReceipt(purchases.services.db, key) : null;
    if (!found)
      return reply
        .code(404)
        .headers(pageHeaders)
        .send(messagePage('Not found', 'There is no such receipt.'));
    return reply.code(200).headers(pageHeaders).send(receiptPage(found));
  });
}
