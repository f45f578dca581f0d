import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import type { EntryBody, WireEntry } from '../../../shared/ledger/entry';
import type { SignedCheckpoint } from '../../../shared/ledger/checkpoint';
import { verifyChain } from '../../../shared/ledger/verify';
import { testServerKeys } from '../../../shared/testing/ledger-fixture';
import { buildApp } from '../../http/app';
import { type Backend, type TestServer, testServer } from '../../testing/harness';
import { recordingLogger } from '../../../shared/log/logger';
import { type Purchases, createPurchases } from '../purchases';
import { registerPurchaseRoutes } from '../routes';
import { ledgerGrants, parseCatalog } from '../catalog';
import { StripeStandIn } from './stripe-stand-in';

const WEBHOOK_SECRET = 'whsec_standin_0123456789abcdef';
export const PUBLIC_URL = 'http://127.0.0.1:4780';

export interface PurchaseServer extends Omit<TestServer, 'app'> {
  app: FastifyInstance;
  purchases: Purchases;
  standIn: StripeStandIn | null;
  /** What purchases logged, line by line. */
  log: ReturnType<typeof recordingLogger>;
  /** Unix seconds on the test clock. */
  nowSeconds(): number;
}

/**
 * A migrated test database (PGlite or PostgreSQL) with purchases wired the way the server wires
 * them: `registerPurchaseRoutes` through buildApp's `extend` hook. `stripe`: the real SDK aimed
 * at a local stand-in; otherwise the sandbox provider.
 */
export async function purchaseServer(
  backend: Backend,
  opts: {
    stripe?: boolean;
    start?: string;
    /** Catalog data instead of the default catalog (its plans also set the ledger's grants). */
    catalog?: unknown;
  } = {},
): Promise<PurchaseServer> {
  const catalog = opts.catalog === undefined ? undefined : parseCatalog(opts.catalog);
  const t = await testServer(backend, {
    start: opts.start ?? '2026-11-02T10:00:00.000Z',
    ...(catalog ? { ledger: ledgerGrants(catalog) } : {}),
  });
  const nowSeconds = () => Math.floor(Date.parse(t.clock.now()) / 1000);
  const standIn = opts.stripe ? await new StripeStandIn(nowSeconds).start() : null;
  const log = recordingLogger('purchases');
  const purchases = createPurchases(t.services, {
    publicUrl: PUBLIC_URL,
    ...(catalog ? { catalog } : {}),
    stripe: standIn
      ? {
          secretKey: 'sk_test_standin',
          webhookSecret: WEBHOOK_SECRET,
          apiHost: '127.0.0.1',
          apiPort: standIn.port,
          apiProtocol: 'http',
          maxNetworkRetries: 0,
        }
      : null,
    log: log.log,
  });
  const app = buildApp(t.services, {
    extend: (a, route, accountOf) => registerPurchaseRoutes(a, route, accountOf, purchases),
  });
  await app.ready();
  return {
    ...t,
    app,
    purchases,
    standIn,
    log,
    nowSeconds,
    async close() {
      await app.close();
      await standIn?.stop();
      await t.close();
    },
  };
}

/** Signs an event body with the SDK's own test helper, as Stripe would. */
export function stripeSignature(
  payload: string,
  opts: { secret?: string; timestamp?: number } = {},
): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? WEBHOOK_SECRET,
    ...(opts.timestamp === undefined ? {} : { timestamp: opts.timestamp }),
  });
}

export interface WebhookOptions {
  secret?: string;
  timestamp?: number;
  /** Sent instead of the signed payload (a tampered body). */
  body?: string;
  /** A given signature header, or null for none; signed with the webhook secret otherwise. */
  signature?: string | null;
}

/** Posts a webhook to the server as Stripe would: signed now, with the webhook secret. */
export function deliverWebhook(t: PurchaseServer, payload: string, opts: WebhookOptions = {}) {
  const signature =
    opts.signature === null
      ? {}
      : {
          'stripe-signature':
            opts.signature ??
            stripeSignature(payload, {
              timestamp: opts.timestamp ?? t.nowSeconds(),
              ...(opts.secret ? { secret: opts.secret } : {}),
            }),
        };
  return t.app.inject({
    method: 'POST',
    url: '/v1/purchases/stripe/webhook',
    headers: { 'content-type': 'application/json; charset=utf-8', ...signature },
    payload: opts.body ?? payload,
  });
}

/** Delivers a webhook that must be accepted (else throws with the answer); its outcome. */
export async function webhookOutcome(t: PurchaseServer, payload: string): Promise<string> {
  const res = await deliverWebhook(t, payload);
  if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
  return res.json<{ outcome: string }>().outcome;
}

/** The Stripe stand-in of a server started with `stripe: true`. */
export function stripeStandIn(t: PurchaseServer): StripeStandIn {
  if (!t.standIn) throw new Error('no stand-in: start the server with { stripe: true }');
  return t.standIn;
}

export interface Pulled {
  entries: WireEntry[];
  checkpoint: SignedCheckpoint;
  bodies: EntryBody[];
}

/** The account's whole ledger through the HTTP pull, with the chain verified. */
export async function pullVerified(
  app: FastifyInstance,
  user: { accountId: string; headers: Record<string, string> },
): Promise<Pulled> {
  const res = await app.inject({
    method: 'GET',
    url: '/v1/ledger/entries?after=0',
    headers: user.headers,
  });
  if (res.statusCode !== 200) throw new Error(`pull failed: ${res.statusCode} ${res.body}`);
  const pulled = res.json<{ entries: WireEntry[]; checkpoint: SignedCheckpoint }>();
  const verdict = verifyChain(pulled.entries, pulled.checkpoint, testServerKeys, {
    accountId: user.accountId,
  });
  if (!verdict.ok) throw new Error(`chain does not verify: ${verdict.reason} ${verdict.message}`);
  return {
    ...pulled,
    bodies: pulled.entries.map((e) => JSON.parse(e.body) as EntryBody),
  };
}
