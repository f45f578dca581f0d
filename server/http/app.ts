import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import {
  AccountResponse,
  DeviceResponse,
  RegisterDeviceRequest,
  RotateDeviceKeyRequest,
  SessionResponse,
  SignInRequest,
  SignUpOffer,
  SignUpRequest,
} from '../../shared/api/auth';
import { Design, RedeemRequest, RedeemResponse, TeamRedeemRequest } from '../../shared/api/catalog';
import { OperationId } from '../../shared/api/common';
import { SetSpendingLimitsRequest, SpendingLimitsResponse } from '../../shared/api/limits';
import { RedeemPromoRequest, RedeemPromoResponse } from '../../shared/api/promo';
import {
  AllowanceRequest,
  AllowanceResponse,
  BalanceResponse,
  CaptureRequest,
  HoldRequest,
  HoldResponse,
  PullQuery,
  PullResponse,
  PushRequest,
  PushResponse,
  ReleaseRequest,
  SignedVoucher,
} from '../../shared/api/ledger';
import { PublicKeyInfo } from '../../shared/ledger/checkpoint';
import { SignedPriceBook } from '../../shared/pricing/signed';
import { LedgerInvariantError } from '../../shared/wallet/fold';
import { DatabaseUnavailableError } from '../db/database';
import type { Services } from '../services';
import { HttpError } from './errors';
import { JsonText, type RouteDoc, makeRouter, openApiDocument } from './route';
import { pullResponseJson } from '../ledger/sync-service';
import { heartbeatRoute } from './heartbeat';
import { registerTeamRoutes } from '../teams/routes';

export interface AppOptions {
  bodyLimit?: number;
  /** Sign-in requests per address per window; false turns the limit off. */
  authRateLimit?: { max: number; timeWindowMs: number } | false;
  /** Extra routes (purchases, jobs) registered by later modules. */
  extend?: (
    app: FastifyInstance,
    route: ReturnType<typeof makeRouter>,
    auth: (r: FastifyRequest) => Promise<string>,
  ) => void;
}

const Dislike = z.strictObject({ operationId: OperationId });
const ReturnAllowance = z.strictObject({ operationId: OperationId });
const Settle = z.strictObject({
  operationId: OperationId,
  vouchers: z.array(SignedVoucher).min(1).max(500),
});

export function buildApp(services: Services, options: AppOptions = {}): FastifyInstance {
  const app = Fastify({
    // One logger for the whole server (docs/architecture.md §11): EASEL_LOG decides for all.
    // (Widened to Fastify's logger interface, which pino's logger implements.)
    loggerInstance: services.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // Above the Id schema's 128 characters, so a long id gets our own 400 (route.ts), not 414.
    routerOptions: { maxParamLength: 512 },
  });
  const docs: RouteDoc[] = [];
  const route = makeRouter(app, docs);
  const { auth, ledger, sync, catalog, allowances, refunds, mutations, spendingLimits, promos } =
    services;
  const accountOf = async (request: FastifyRequest) =>
    (await auth.authenticate(request.headers.authorization)).accountId;

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.status).send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.details === undefined ? {} : { details: error.details }),
        },
      });
    }
    const fe = error as { statusCode?: number; code?: string; message?: string };
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code =
        fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'body-too-large'
          : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'unsupported-media-type'
            : 'invalid-request';
      const message =
        code === 'body-too-large'
          ? 'the request body is too large'
          : (fe.message ?? 'invalid request');
      return reply.code(fe.statusCode).send({ error: { code, message } });
    }
    if (error instanceof DatabaseUnavailableError) {
      request.log.warn({ err: error.cause }, 'database connection lost; answered 503');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ error: { code: 'database-unavailable', message: error.message } });
    }
    if (error instanceof LedgerInvariantError)
      request.log.error({ err: error }, 'ledger invariant refused an entry');
    else request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({
      error: {
        code: 'internal',
        message: 'something went wrong on the server; nothing was charged twice, try again',
      },
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'not-found',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      },
    }),
  );

  app.get('/healthz', async () => ({ ok: true, database: services.db.kind }));
  heartbeatRoute(app);
  app.get('/v1/openapi.json', async () => openApiDocument(docs));

  route(
    {
      method: 'GET',
      path: '/v1/keys',
      summary: 'Published server signing keys',
      auth: false,
      response: z.object({ keys: z.array(PublicKeyInfo) }),
    },
    async () => ({ body: { keys: catalog.publicKeys() } }),
  );

  route(
    {
      method: 'GET',
      path: '/v1/auth/offer',
      summary: 'What a new account gets (welcome and daily credits) and the password rule',
      auth: false,
      response: SignUpOffer,
    },
    async () => ({ body: auth.offer() }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/auth/signup',
      summary: 'Create an account and sign in',
      auth: false,
      body: SignUpRequest,
      response: SessionResponse,
    },
    async ({ body }) => ({
      status: 201,
      body: await auth.signUp(body.email, body.password),
    }),
  );
  // Sign-in is limited per address (docs/architecture.md §11), in memory per instance: one
  // address can neither guess at speed nor cheaply use the per-email limit on someone else.
  app.register(async (scope) => {
    const limit = options.authRateLimit ?? { max: 30, timeWindowMs: 60_000 };
    if (limit) {
      await scope.register(rateLimit, {
        max: limit.max,
        timeWindow: limit.timeWindowMs,
        errorResponseBuilder: (_request, context) =>
          new HttpError(
            429,
            'rate-limited',
            `too many sign-in requests from this address; try again in ${context.after}`,
          ),
      });
    }
    const authRoute = makeRouter(scope, docs);
    authRoute(
      {
        method: 'POST',
        path: '/v1/auth/signin',
        summary: 'Sign in (rate-limited per address, and per email from each address)',
        auth: false,
        body: SignInRequest,
        response: SessionResponse,
      },
      async ({ body, request }) => ({
        body: await auth.signIn(body.email, body.password, request.ip),
      }),
    );
  });
  route(
    { method: 'POST', path: '/v1/auth/signout', summary: 'Revoke this session', auth: true },
    async ({ request }) => {
      const { tokenHash } = await auth.authenticate(request.headers.authorization);
      await auth.signOut(tokenHash);
      return { body: { ok: true } };
    },
  );
  route(
    {
      method: 'GET',
      path: '/v1/account',
      summary: 'This account and its devices',
      auth: true,
      response: AccountResponse,
    },
    async ({ request }) => ({
      body: await auth.account(await accountOf(request)),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/devices',
      summary: 'Register a desktop install and its Ed25519 key',
      auth: true,
      body: RegisterDeviceRequest,
      response: DeviceResponse,
    },
    async ({ request, body }) => ({
      status: 201,
      body: await auth.registerDevice(await accountOf(request), body.name, body.publicKey),
    }),
  );

  route(
    {
      method: 'POST',
      path: '/v1/devices/{deviceId}/key',
      summary: "Replace a device's Ed25519 key (its old key was lost or cannot be read)",
      auth: true,
      body: RotateDeviceKeyRequest,
      response: DeviceResponse,
    },
    async ({ request, body, params }) => ({
      body: await auth.rotateDeviceKey(
        await accountOf(request),
        params.deviceId ?? '',
        body.publicKey,
      ),
    }),
  );

  route(
    {
      method: 'GET',
      path: '/v1/ledger/entries',
      summary: 'Entries after a cursor, with a checkpoint signed at the batch end',
      auth: true,
      query: PullQuery,
      response: PullResponse,
    },
    async ({ request, query }) => ({
      body: new JsonText(
        pullResponseJson(await sync.pull(await accountOf(request), query.after, query.limit)),
      ),
    }),
  );
  route(
    {
      method: 'GET',
      path: '/v1/ledger/balance',
      summary: 'Balances now, per credit kind',
      auth: true,
      response: BalanceResponse,
    },
    async ({ request }) => {
      const state = await ledger.wallet(await accountOf(request));
      return { body: { seq: state.seq, balances: state.balances } };
    },
  );
  route(
    {
      method: 'GET',
      path: '/v1/account/spending-limits',
      summary:
        'Spending limits: the daily and monthly limits set by the user, what is used and when each resets',
      auth: true,
      response: SpendingLimitsResponse,
    },
    async ({ request }) => ({ body: await spendingLimits.get(await accountOf(request)) }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/account/spending-limits',
      summary:
        'Set spending limits (credits per UTC day and month, null for none); holds, design spends and offline allowances past them are refused (403 spending-limit)',
      auth: true,
      body: SetSpendingLimitsRequest,
      response: SpendingLimitsResponse,
    },
    async ({ request, body }) => ({
      body: await spendingLimits.set(await accountOf(request), body),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/promo-codes/redeem',
      summary:
        'Promo codes: redeem a code once per account for a signed promo grant (404 unknown, 409 expired, already redeemed or exhausted)',
      auth: true,
      body: RedeemPromoRequest,
      response: RedeemPromoResponse,
    },
    async ({ request, body }) => promos.redeem(await accountOf(request), body),
  );
  route(
    {
      method: 'POST',
      path: '/v1/ledger/holds',
      summary: 'Hold credits (expires after 15 minutes by default)',
      auth: true,
      body: HoldRequest,
      response: HoldResponse,
    },
    async ({ request, body }) => {
      const r = await ledger.hold(await accountOf(request), body);
      return { status: r.status, body: r.body };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/ledger/holds/{holdId}/capture',
      summary: 'Capture at most the held amount; the rest returns',
      auth: true,
      body: CaptureRequest,
      response: HoldResponse,
    },
    async ({ request, body, params }) => {
      const r = await ledger.capture(await accountOf(request), params.holdId ?? '', body);
      return { status: r.status, body: r.body };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/ledger/holds/{holdId}/release',
      summary: 'Release a hold',
      auth: true,
      body: ReleaseRequest,
      response: HoldResponse,
    },
    async ({ request, body, params }) => {
      const r = await ledger.release(await accountOf(request), params.holdId ?? '', body);
      return { status: r.status, body: r.body };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/items/{itemId}/dislike',
      summary: 'Refund a disliked image (once, within the window)',
      auth: true,
      body: Dislike,
    },
    async ({ request, body, params }) => {
      const r = await refunds.dislike(
        await accountOf(request),
        params.itemId ?? '',
        body.operationId,
      );
      return { status: r.status, body: r.body };
    },
  );

  route(
    {
      method: 'POST',
      path: '/v1/allowances',
      summary: 'Reserve an offline allowance for a device',
      auth: true,
      body: AllowanceRequest,
      response: AllowanceResponse,
    },
    async ({ request, body }) => {
      const r = await allowances.create(await accountOf(request), body);
      return { status: r.status, body: r.body };
    },
  );
  route(
    {
      method: 'GET',
      path: '/v1/allowances/{allowanceId}',
      summary: 'An allowance and what is settled',
      auth: true,
      response: AllowanceResponse,
    },
    async ({ request, params }) => ({
      body: (await allowances.status(await accountOf(request), params.allowanceId ?? '')).body,
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/allowances/{allowanceId}/settle',
      summary: 'Settle signed offline vouchers (idempotent per counter)',
      auth: true,
      body: Settle,
    },
    async ({ request, body, params }) => {
      const r = await allowances.settle(await accountOf(request), params.allowanceId ?? '', body);
      return { status: r.status, body: r.body };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/allowances/{allowanceId}/return',
      summary: 'Give back what is left of an allowance',
      auth: true,
      body: ReturnAllowance,
      response: AllowanceResponse,
    },
    async ({ request, body, params }) => {
      const r = await allowances.giveBack(
        await accountOf(request),
        params.allowanceId ?? '',
        body.operationId,
      );
      return { status: r.status, body: r.body };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/sync/mutations',
      summary: 'Push device mutations in order',
      auth: true,
      body: PushRequest,
      response: PushResponse,
    },
    async ({ request, body }) => ({
      body: await mutations.push(await accountOf(request), body.deviceId, body.mutations),
    }),
  );

  route(
    {
      method: 'GET',
      path: '/v1/price-book',
      summary: 'The current signed price book',
      auth: false,
      response: SignedPriceBook,
    },
    async () => ({ body: await catalog.priceBook() }),
  );
  route(
    {
      method: 'GET',
      path: '/v1/designs',
      summary: 'The design catalog, with what this account owns',
      auth: true,
      response: z.object({ designs: z.array(Design) }),
    },
    async ({ request }) => ({
      body: { designs: await catalog.designs(await accountOf(request)) },
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/designs/{designId}/redeem',
      summary: 'Redeem a design for its quoted credits',
      auth: true,
      body: RedeemRequest,
      response: RedeemResponse,
    },
    async ({ request, body, params }) => {
      const r = await catalog.redeem(await accountOf(request), params.designId ?? '', body);
      return { status: r.status, body: r.body };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/designs/{designId}/redeem',
      summary:
        'Teams: redeem a design online from the team wallet for a project, within the budgets (docs/architecture.md §14)',
      auth: true,
      body: TeamRedeemRequest,
      response: RedeemResponse,
    },
    async ({ request, body, params }) => {
      const r = await catalog.redeemForTeam(
        services.teamWallet,
        params.teamId ?? '',
        await accountOf(request),
        params.designId ?? '',
        body,
      );
      return { status: r.status, body: r.body };
    },
  );
  route(
    {
      method: 'GET',
      path: '/v1/designs/{designId}/file',
      summary: "A design's file (owners only)",
      auth: true,
    },
    async ({ request, params, reply }) => {
      const file = await catalog.file(await accountOf(request), params.designId ?? '');
      reply.header('content-type', file.mime).header('cache-control', 'private, max-age=0');
      return { body: file.bytes };
    },
  );

  registerTeamRoutes(route, services, accountOf);
  options.extend?.(app, route, accountOf);
  return app;
}
