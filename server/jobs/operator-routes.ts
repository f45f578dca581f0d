/**
 * The embedded server's operator endpoint: the desktop app that started this server sets and
 * tests its image engine while it runs. It exists only when the server was started with an
 * operator secret (scripts/start.ts makes one per launch and gives it to the app's main
 * process), answers only over loopback, and only to a request that carries the secret.
 * Settings with a key travel in request bodies, never in URLs, and no answer contains a key.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  EngineSettingsInput,
  EngineState,
  EngineTestResult,
  OPERATOR_HEADER,
} from '../../shared/api/engine';
import { HttpError } from '../http/errors';
import type { EngineOperator } from './engine-operator';
import type { Router } from './routes';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function registerOperatorRoutes(
  app: FastifyInstance,
  route: Router,
  operator: EngineOperator,
  secret: string,
): void {
  const guard = (request: FastifyRequest): void => {
    const given = request.headers[OPERATOR_HEADER];
    if (
      !LOOPBACK.has(request.socket.remoteAddress ?? '') ||
      typeof given !== 'string' ||
      !sameSecret(given, secret)
    )
      throw new HttpError(
        403,
        'operator-only',
        'only the app that started this server may change its image engine',
      );
  };
  // Before the body is even read: a caller without the secret learns nothing from its errors.
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/v1/operator/')) guard(request);
  });
  route(
    {
      method: 'GET',
      path: '/v1/operator/engine',
      summary:
        'The image engine in use and what it answered (embedded server, loopback, operator secret)',
      auth: false,
      response: EngineState,
    },
    async ({ request }) => {
      guard(request);
      return { body: await operator.state() };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/operator/engine',
      summary: 'Use another image engine from now on (embedded server, loopback, operator secret)',
      auth: false,
      body: EngineSettingsInput,
      response: EngineState,
    },
    async ({ request, body }) => {
      guard(request);
      return { body: await operator.apply(body) };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/operator/engine/test',
      summary:
        'What an image engine answers, without using it (embedded server, loopback, operator secret)',
      auth: false,
      body: EngineSettingsInput,
      response: EngineTestResult,
    },
    async ({ request, body }) => {
      guard(request);
      return { body: await operator.test(body) };
    },
  );
}
