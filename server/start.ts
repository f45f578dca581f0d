import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../shared/log/logger';
import { systemClock, type Clock } from './clock';
import type { ServerConfig } from './config';
import type { Database } from './db/database';
import { migrate } from './db/migrations';
import { openPglite } from './db/pglite';
import { openPostgres } from './db/postgres';
import { buildApp, type AppOptions } from './http/app';
import { loadSigningKeys } from './keys';
import { createServices, type Services } from './services';
import { createJobs, jobsConfigFromEnv, registerJobRoutes } from './jobs';
import { EngineOperator } from './jobs/engine-operator';
import { registerOperatorRoutes } from './jobs/operator-routes';
import { registerTeamPurchaseRoutes } from './teams/purchase-routes';
import {
  createPurchases,
  ledgerGrants,
  defaultCatalogData,
  parseCatalog,
  purchasesConfigFromEnv,
  registerPurchaseRoutes,
} from './purchases';

export async function openDatabase(
  config: Pick<ServerConfig, 'DATABASE_URL' | 'EASEL_DATA_DIR'>,
): Promise<Database> {
  return config.DATABASE_URL
    ? openPostgres(config.DATABASE_URL)
    : openPglite(join(config.EASEL_DATA_DIR, 'pglite'));
}

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  close(): Promise<void>;
}

/** Opens the database, migrates, seeds, and listens. Used by `npm run server` and tests. */
export async function startServer(
  config: ServerConfig,
  opts: {
    clock?: Clock;
    db?: Database;
    app?: AppOptions;
    env?: NodeJS.ProcessEnv;
    /**
     * Embedded servers: the per-launch secret of the app that started this server, which may
     * then set the image engine at run time over loopback (/v1/operator/engine).
     */
    operatorSecret?: string;
    /** Where the server's JSON log lines go instead of stdout (tests read them). */
    logDestination?: { write(line: string): void };
  } = {},
): Promise<RunningServer> {
  const db = opts.db ?? (await openDatabase(config));
  await migrate(db);
  const keys = loadSigningKeys(
    config.EASEL_SIGNING_KEYS,
    join(config.EASEL_DATA_DIR, 'signing-keys.json'),
  );
  const purchasesConfig = purchasesConfigFromEnv(opts.env ?? process.env, config.publicUrl);
  const catalog = parseCatalog(purchasesConfig.catalog ?? defaultCatalogData);
  const services = createServices({
    db,
    clock: opts.clock ?? systemClock,
    keys,
    log: createLogger(config.EASEL_LOG, { destination: opts.logDestination }),
    ledger: ledgerGrants(catalog),
  });
  await services.catalog.seed();
  const purchases = createPurchases(services, purchasesConfig);
  const jobsConfig = jobsConfigFromEnv(opts.env ?? process.env, config.EASEL_DATA_DIR);
  const jobs = createJobs(services, jobsConfig);
  await jobs.recoverJobs(); // jobs a previous process left queued or running: failed, released
  const app = buildApp(services, {
    ...opts.app,
    extend: (instance, route, accountOf) => {
      registerPurchaseRoutes(instance, route, accountOf, purchases);
      registerTeamPurchaseRoutes(route, services.db, accountOf, purchases);
      registerJobRoutes(instance, route, accountOf, jobs);
      if (opts.operatorSecret) {
        const operator = new EngineOperator(
          jobs.providers,
          () => services.catalog.priceBook(),
          jobsConfig.generate?.provider.kind === 'preview'
            ? undefined
            : jobsConfig.generate?.provider.timeoutMs,
        );
        registerOperatorRoutes(instance, route, operator, opts.operatorSecret);
      }
      opts.app?.extend?.(instance, route, accountOf);
    },
  });
  await app.listen({ port: config.EASEL_PORT, host: config.EASEL_HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.EASEL_PORT;
  const url = `http://${config.EASEL_HOST}:${port}`;
  // Materialise hold and allowance expiries even when nobody touches the account.
  const sweeper = setInterval(() => {
    services.ledger
      .sweep()
      .catch((error: unknown) => services.log.error({ err: error }, 'ledger sweep failed'));
  }, 30_000);
  sweeper.unref();
  return {
    app,
    services,
    url,
    async close() {
      clearInterval(sweeper);
      await app.close();
      await jobs.close();
      await db.close();
    },
  };
}
