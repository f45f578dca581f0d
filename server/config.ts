import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const Env = z.object({
  EASEL_PORT: z.coerce.number().int().min(0).max(65535).default(4780),
  EASEL_HOST: z.string().default('127.0.0.1'),
  EASEL_DATA_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.easel', 'server')),
  DATABASE_URL: z.string().url().optional(),
  EASEL_SIGNING_KEYS: z.string().optional(),
  EASEL_PUBLIC_URL: z.string().url().optional(),
  EASEL_LOG: z.enum(['json', 'off']).default('json'),
});
export type ServerConfig = z.infer<typeof Env> & { publicUrl: string };

/** Parses environment variables with a schema; the first bad value stops the start clearly. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `configuration: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** Reads the server's configuration from the environment; a bad value stops the start clearly. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const c = parseEnv(Env, env);
  return { ...c, publicUrl: c.EASEL_PUBLIC_URL ?? `http://${c.EASEL_HOST}:${c.EASEL_PORT}` };
}
