import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseEnv } from '../config';
import type { Logger } from '../../shared/log/logger';

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** Where the SDK sends API calls: Stripe by default, a local stand-in in tests. */
  apiHost?: string;
  apiPort?: number;
  apiProtocol?: 'http' | 'https';
  /** Retries of a failed API call (default 2, with the SDK's backoff). */
  maxNetworkRetries?: number;
  /** Oldest signed webhook accepted, in seconds (Stripe's default: 300). */
  webhookToleranceSeconds?: number;
}

export interface PurchasesConfig {
  /** Base of the pages the browser returns to (success, cancel, sandbox checkout). */
  publicUrl: string;
  /** null: no Stripe keys, so the sandbox provider runs (if allowed). */
  stripe: StripeSettings | null;
  /**
   * Whether the sandbox provider runs when Stripe is not configured. Unset: only when the
   * public URL is a loopback address (the embedded server); true must be asked for anywhere else.
   */
  sandbox?: boolean;
  /** Catalog data (validated on start); the default catalog when absent. */
  catalog?: unknown;
  /** How long a checkout stays payable (default 24 h, Stripe's default too). */
  checkoutTtlMs?: number;
  /** Defaults to the server's logger, as component `purchases`. */
  log?: Logger;
}

const Env = z.object({
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'expected sk_test_…, sk_live_… or rk_…')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=_]+$/, 'expected whsec_…')
    .optional(),
  STRIPE_API_HOST: z.string().min(1).optional(),
  STRIPE_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
  EASEL_PUBLIC_URL: z.string().url().optional(),
  EASEL_SANDBOX_PAYMENTS: z.enum(['on', 'off', 'auto']).default('auto'),
  EASEL_CATALOG_FILE: z.string().min(1).optional(),
});

/**
 * Reads the purchases configuration from the environment: Stripe when STRIPE_SECRET_KEY is set
 * (its webhook secret is then required: without it nothing could ever be credited), otherwise
 * the sandbox. `fallbackPublicUrl` is the server's own URL when EASEL_PUBLIC_URL is unset.
 */
export function purchasesConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  fallbackPublicUrl = 'http://127.0.0.1:4780',
): PurchasesConfig {
  const e = parseEnv(Env, env);
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET)
    throw new Error(
      'configuration: STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY (webhooks credit purchases)',
    );
  const stripe: StripeSettings | null =
    e.STRIPE_SECRET_KEY && e.STRIPE_WEBHOOK_SECRET
      ? {
          secretKey: e.STRIPE_SECRET_KEY,
          webhookSecret: e.STRIPE_WEBHOOK_SECRET,
          ...(e.STRIPE_API_HOST ? { apiHost: e.STRIPE_API_HOST } : {}),
          ...(e.STRIPE_API_PORT ? { apiPort: e.STRIPE_API_PORT } : {}),
          ...(e.STRIPE_API_PROTOCOL ? { apiProtocol: e.STRIPE_API_PROTOCOL } : {}),
        }
      : null;
  return {
    publicUrl: e.EASEL_PUBLIC_URL ?? fallbackPublicUrl,
    stripe,
    ...(e.EASEL_SANDBOX_PAYMENTS === 'auto' ? {} : { sandbox: e.EASEL_SANDBOX_PAYMENTS === 'on' }),
    ...(e.EASEL_CATALOG_FILE
      ? { catalog: JSON.parse(readFileSync(e.EASEL_CATALOG_FILE, 'utf8')) as unknown }
      : {}),
  };
}
