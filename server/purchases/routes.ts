import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CatalogResponse,
  CheckoutId,
  CheckoutStatusResponse,
  CreateCheckoutRequest,
  CreateCheckoutResponse,
} from '../../shared/api/purchases';
import { HttpError } from '../http/errors';
import { type makeRouter, parseOr400 } from '../http/route';
import { cancelledPage, messagePage, pageHeaders, sandboxCheckoutPage, successPage } from './pages';
import { registerPlanRoutes } from './plan-routes';
import type { Purchases } from './purchases';
import { type CheckoutRow, itemOf, purchaseStore as store } from './store';
import { registerMoneyRoutes } from './money-routes';
import type { SandboxCard } from './sandbox-money';

export type Router = ReturnType<typeof makeRouter>;
export type AccountOf = (request: FastifyRequest) => Promise<string>;

/**
 * The purchase routes; the arguments are those of buildApp's `extend` hook plus the purchases:
 * `buildApp(services, { extend: (app, route, accountOf) => registerPurchaseRoutes(app, route, accountOf, purchases) })`.
 */
export function registerPurchaseRoutes(
  app: FastifyInstance,
  route: Router,
  accountOf: AccountOf,
  purchases: Purchases,
): void {
  route(
    {
      method: 'GET',
      path: '/v1/catalog',
      summary: 'Credit packs and plans on sale, and which payment provider takes the money',
      auth: false,
      response: CatalogResponse,
    },
    async () => ({ body: purchases.catalogResponse() }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/purchases/checkout',
      summary: 'Start a checkout (idempotent per operationId); open its url in the browser',
      auth: true,
      body: CreateCheckoutRequest,
      response: CreateCheckoutResponse,
    },
    async ({ request, body }) => purchases.checkouts.create(await accountOf(request), body),
  );
  route(
    {
      method: 'GET',
      path: '/v1/purchases/{sessionId}',
      summary: 'How a checkout stands, and the ledger entry it credited',
      auth: true,
      response: CheckoutStatusResponse,
    },
    async ({ request, params }) => {
      const accountId = await accountOf(request);
      const id = parseOr400(CheckoutId, params.sessionId, 'sessionId');
      return { body: await purchases.checkouts.status(accountId, id) };
    },
  );

  // The pages the browser returns to (no sign-in there: the unguessable checkout id is the key).
  app.get<{ Params: { sessionId: string } }>('/purchases/:sessionId/success', async (req, reply) =>
    withCheckout(purchases, req.params.sessionId, reply, (row) => successPage(row)),
  );
  app.get<{ Params: { sessionId: string } }>(
    '/purchases/:sessionId/cancelled',
    async (req, reply) =>
      withCheckout(purchases, req.params.sessionId, reply, (row) => cancelledPage(row)),
  );

  registerMoneyRoutes(app, route, accountOf, purchases);
  registerPlanRoutes(app, route, accountOf, purchases);
  if (purchases.provider === 'sandbox') registerSandboxPages(app, purchases);
  const webhook = purchases.stripeWebhook;
  if (webhook) {
    // Encapsulated: only this route gets the raw body the signature was computed over.
    void app.register(async (scope) => {
      scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
        done(null, body),
      );
      scope.post('/v1/purchases/stripe/webhook', async (request, reply) => {
        const raw = request.body;
        if (!Buffer.isBuffer(raw))
          throw new HttpError(415, 'unsupported-media-type', 'a Stripe event is a JSON body');
        const header = request.headers['stripe-signature'];
        const result = await webhook.receive(raw, typeof header === 'string' ? header : undefined);
        return reply.code(200).send(result);
      });
    });
  }
}

function registerSandboxPages(app: FastifyInstance, purchases: Purchases): void {
  void app.register(async (scope) => {
    // The page's forms post urlencoded; only Pay's card choice is read (§7, auto top-up).
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => {
        const card = new URLSearchParams(typeof body === 'string' ? body : '').get('card');
        done(null, { card: card === 'card' || card === 'auth-card' ? card : 'none' });
      },
    );
    type PageRequest = { Params: { sessionId: string }; Querystring: { key?: unknown } };
    scope.get<PageRequest>('/sandbox/checkout/:sessionId', async (req, reply) =>
      withCheckout(purchases, req.params.sessionId, reply, (row) => {
        if (row.provider !== 'sandbox') return null;
        const key = buyerKey(row, req.query.key);
        if (key === null) return null;
        if (row.status === 'complete') return successPage(row);
        if (row.status !== 'open' || purchases.services.clock.now() >= row.expires_at)
          return messagePage(
            'Checkout closed',
            `This checkout is ${row.status === 'open' ? 'expired' : row.status}: nothing was charged.`,
          );
        return sandboxCheckoutPage(row, itemOf(row), key);
      }),
    );
    const action = (name: 'pay' | 'cancel') =>
      scope.post<PageRequest>(`/sandbox/checkout/:sessionId/${name}`, async (req, reply) =>
        pageAction(reply, async () => {
          const id = checkoutIdOr404(req.params.sessionId);
          const row = await store.checkout(purchases.services.db, id);
          if (!row || buyerKey(row, req.query.key) === null)
            throw new HttpError(404, 'not-found', 'There is no such checkout.');
          const body: unknown = req.body;
          const chosen =
            typeof body === 'object' && body !== null && 'card' in body ? body.card : null;
          const card: SandboxCard = chosen === 'card' || chosen === 'auth-card' ? chosen : 'none';
          const done =
            name === 'pay'
              ? await purchases.sandboxMoney.pay(id, card)
              : await purchases.sandbox.cancel(id);
          return `/purchases/${done.id}/${name === 'pay' ? 'success' : 'cancelled'}`;
        }),
      );
    action('pay');
    action('cancel');
  });
}

/**
 * The key of a sandbox checkout's page, when `given` is it: it is in the url that only the
 * buyer's session received when starting the checkout (docs/architecture.md §7).
 */
function buyerKey(row: CheckoutRow, given: unknown): string | null {
  if (typeof given !== 'string' || row.url === null) return null;
  const expected = new URL(row.url).searchParams.get('key');
  if (!expected) return null;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? expected : null;
}

function checkoutIdOr404(raw: string): string {
  const id = CheckoutId.safeParse(raw);
  if (!id.success) throw new HttpError(404, 'not-found', 'checkout not found');
  return id.data;
}

/** Renders a page for one checkout, or a 404 page. */
async function withCheckout(
  purchases: Purchases,
  rawId: string,
  reply: FastifyReply,
  render: (row: CheckoutRow) => string | null,
): Promise<FastifyReply> {
  const id = CheckoutId.safeParse(rawId);
  const row = id.success ? await store.checkout(purchases.services.db, id.data) : null;
  const html = row ? render(row) : null;
  if (html === null)
    return reply
      .code(404)
      .headers(pageHeaders)
      .send(messagePage('Not found', 'There is no such checkout.'));
  return reply.code(200).headers(pageHeaders).send(html);
}

/** A form post: redirect (303) to the next page, or show the refusal as a page. */
async function pageAction(reply: FastifyReply, act: () => Promise<string>): Promise<FastifyReply> {
  try {
    return reply.redirect(await act(), 303);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return reply
      .code(error.status)
      .headers(pageHeaders)
      .send(messagePage('Checkout', error.message));
  }
}
