/**
 * Configuration of the jobs module: where files live, which generate provider serves the price
 * book's models, and how many engine tasks run and wait. `jobsConfigFromEnv` reads the
 * EASEL_GENERATE_* and EASEL_JOBS_* variables and fails the start clearly on a bad value.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../config';
import type { PoolOptions, ProviderConfig } from '../engines/index';
import type { ProvidersOptions } from './providers';

export interface GenerateConfig {
  /** The provider for every model except 'easel-preview' (always the offline preview). */
  provider: ProviderConfig;
  /** Price-book model id → the provider's model name; ids not listed are passed as they are. */
  models?: Record<string, string>;
}

export interface JobsConfig {
  /** Files are stored content-addressed under `<dataDir>/files`. */
  dataDir: string;
  generate?: GenerateConfig;
  /** How long the engine's answer about its models is trusted, and waited for. */
  engineProbe?: ProvidersOptions;
  /** Engine worker pool; `concurrency` is also how many jobs run at once (default 1). */
  pool?: PoolOptions;
  /**
   * Nice value of the engine threads (Linux; default 10), so that engines never take the CPU
   * the ledger's requests need. 0 runs them at the server's priority.
   */
  engineNice?: number;
  /** Jobs that may wait for a worker; more are refused with 503 before any hold (default 8). */
  maxQueue?: number;
  /** Lifetime of a job's hold, which is also a cutout's time to be confirmed (default: the ledger's, 15 min). */
  holdTtlSeconds?: number;
  /** Longest an engine task may run (default 10 min); never past the hold's expiry. */
  taskTimeoutMs?: number;
  /** Largest upload in bytes (default 25 MB). */
  maxUploadBytes?: number;
  /** Periodic sweep: expired cutouts, jobs of instances that stopped (default 15 s; 0 = off). */
  sweepIntervalMs?: number;
  /** A running job's instance refreshes its heartbeat this often (default 20 s; 0 = off). */
  heartbeatMs?: number;
  /** A queued or running job whose heartbeat is older than this belongs to a dead instance (default 90 s). */
  staleAfterMs?: number;
  /**
   * This process is the only one using the database (default: true on PGlite), so every job left
   * queued or running by an earlier process can be failed at start without waiting for staleness.
   */
  exclusive?: boolean;
  /** Server-Sent Events re-read the job this often, for changes made by other instances (default 2 s). */
  eventsPollMs?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

const Env = z.object({
  EASEL_DATA_DIR: z.string().min(1).optional(),
  EASEL_GENERATE_PROVIDER: z
    .enum(['preview', 'openai', 'automatic1111', 'comfyui'])
    .default('preview'),
  EASEL_GENERATE_URL: z.string().url().optional(),
  EASEL_GENERATE_KEY: z.string().optional(),
  EASEL_GENERATE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).optional(),
  /** "standard=sdxl_base.safetensors,pro=sdxl_refined.safetensors" */
  EASEL_GENERATE_MODELS: z
    .string()
    .regex(
      /^\s*[^=,\s]+\s*=\s*[^=,]+(,\s*[^=,\s]+\s*=\s*[^=,]+)*\s*$/,
      'id=name pairs, comma separated',
    )
    .optional(),
  EASEL_JOBS_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(1),
  EASEL_JOBS_QUEUE: z.coerce.number().int().min(0).max(1000).default(8),
  /** Hold lifetime of a job: also how long a cutout waits for its confirmation. */
  EASEL_JOBS_HOLD_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).optional(),
});

/** Reads the jobs configuration from the environment (EASEL_DATA_DIR or `dataDir`). */
export function jobsConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  dataDir?: string,
): JobsConfig {
  const e = parseEnv(Env, env);
  const dir = dataDir ?? e.EASEL_DATA_DIR;
  if (!dir) throw new Error('configuration: EASEL_DATA_DIR: the jobs need a data folder');
  const models = Object.fromEntries(
    (e.EASEL_GENERATE_MODELS ?? '')
      .split(',')
      .map((pair) => pair.split('=').map((s) => s.trim()))
      .filter((pair): pair is [string, string] => pair.length === 2 && pair[0] !== ''),
  );
  return {
    dataDir: dir,
    generate: { provider: providerFromEnv(e), models },
    pool: { concurrency: e.EASEL_JOBS_CONCURRENCY },
    maxQueue: e.EASEL_JOBS_QUEUE,
    holdTtlSeconds: e.EASEL_JOBS_HOLD_TTL_SECONDS,
  };
}

function providerFromEnv(e: z.infer<typeof Env>): ProviderConfig {
  const timeoutMs = e.EASEL_GENERATE_TIMEOUT_MS;
  switch (e.EASEL_GENERATE_PROVIDER) {
    case 'preview':
      return { kind: 'preview' };
    case 'openai': {
      if (!e.EASEL_GENERATE_URL && !e.EASEL_GENERATE_KEY)
        throw new Error('configuration: EASEL_GENERATE_KEY: the OpenAI images API needs a key');
      return {
        kind: 'openai',
        baseUrl: e.EASEL_GENERATE_URL ?? 'https://api.openai.com',
        apiKey: e.EASEL_GENERATE_KEY ?? '',
        timeoutMs,
      };
    }
    case 'automatic1111': {
      const key = e.EASEL_GENERATE_KEY;
      const colon = key?.indexOf(':') ?? -1;
      return {
        kind: 'automatic1111',
        baseUrl: e.EASEL_GENERATE_URL ?? 'http://127.0.0.1:7860',
        timeoutMs,
        // --api-auth user:password
        ...(key && colon > 0
          ? { auth: { username: key.slice(0, colon), password: key.slice(colon + 1) } }
          : {}),
      };
    }
    case 'comfyui':
      return {
        kind: 'comfyui',
        baseUrl: e.EASEL_GENERATE_URL ?? 'http://127.0.0.1:8188',
        timeoutMs,
      };
  }
}

export const filesDir = (config: JobsConfig): string => join(config.dataDir, 'files');
