/**
 * Tool jobs (docs/architecture.md §8): uploads, jobs held against the ledger and run on the engine pool, their
 * results as content-addressed files. Wiring, in server/start.ts (after `services.catalog.seed()`):
 *
 *   const jobs = createJobs(services, jobsConfigFromEnv(opts.env ?? process.env, config.EASEL_DATA_DIR));
 *   await jobs.recoverJobs(); // jobs a previous process left queued or running: failed, released
 *   const app = buildApp(services, {
 *     extend: (instance, route, accountOf) => registerJobRoutes(instance, route, accountOf, jobs),
 *   });
 *   …
 *   close: await app.close(); await jobs.close(); await db.close();
 */
import type { Services } from '../services';
import type { JobsConfig } from './config';
import { JobsService } from './jobs-service';

export type Jobs = JobsService;

export function createJobs(services: Services, config: JobsConfig): Jobs {
  // A job's hold is settled by the job only (confirm, discard, cancel), never the hold API.
  services.ledger.setHoldOwner(async (tx, holdId) => {
    const { rows } = await tx.query<{ id: string }>('select id from jobs where hold_id = $1', [
      holdId,
    ]);
    return rows[0] ? `job ${rows[0].id}` : null;
  });
  return new JobsService(services, config);
}

export { registerJobRoutes } from './routes';
export { jobsConfigFromEnv, type JobsConfig } from './config';
