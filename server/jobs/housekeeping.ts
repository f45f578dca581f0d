/**
 * What no request triggers: cutouts whose hold lapsed unconfirmed become 'expired'; jobs left
 * queued or running by an instance that is gone (crashed, restarted, or a settle that failed
 * midway here) are failed and released; this instance's heartbeat keeps others from taking
 * over its jobs, and tells it when one of them was settled elsewhere.
 */
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { activeStates, jobStore } from './job-store';
import type { JobQueue } from './queue';
import { type JobTransitions, failures } from './transitions';

export interface HousekeepingDeps {
  db: Database;
  clock: Clock;
  transitions: JobTransitions;
  queue: JobQueue;
  runnerId: string;
  /** A heartbeat older than this means the instance is gone. */
  staleAfterMs: number;
}

export class JobHousekeeping {
  constructor(private readonly d: HousekeepingDeps) {}

  /** Expires lapsed confirmations and fails orphaned jobs; returns how many jobs changed. */
  async sweep(): Promise<number> {
    let changed = 0;
    for (const due of await jobStore.lapsedConfirmations(this.d.db, this.d.clock.now())) {
      const row = await jobStore.find(this.d.db, due.id);
      if (row && (await this.d.transitions.expire(row))) changed++;
    }
    return changed + (await this.failOrphans(false)) + (await this.failLost());
  }

  /**
   * Fails other instances' queued and running jobs: all of them when `all` (this process is the
   * database's only user, so they were left by an earlier process), else those gone stale.
   */
  async failOrphans(all: boolean): Promise<number> {
    const staleBefore = new Date(
      Date.parse(this.d.clock.now()) - this.d.staleAfterMs,
    ).toISOString();
    let failed = 0;
    for (const orphan of await jobStore.orphans(this.d.db, this.d.runnerId, staleBefore, all)) {
      const row = await jobStore.find(this.d.db, orphan.id);
      if (row && (await this.d.transitions.fail(row, failures.interrupted))) failed++;
    }
    return failed;
  }

  /** This instance's jobs that it no longer queues or runs (a settle that failed midway). */
  private async failLost(): Promise<number> {
    const mine = new Set(this.d.queue.active);
    let failed = 0;
    for (const own of await jobStore.ownActive(this.d.db, this.d.runnerId)) {
      if (mine.has(own.id)) continue;
      const row = await jobStore.find(this.d.db, own.id);
      if (row && (await this.d.transitions.fail(row, failures.interrupted))) failed++;
    }
    return failed;
  }

  async heartbeat(): Promise<void> {
    const rows = await jobStore.heartbeat(this.d.db, this.d.queue.active, this.d.clock.now());
    for (const row of rows) {
      // Cancelled or recovered by another instance: stop working on it here.
      if (!activeStates.includes(row.state)) this.d.queue.stop(row.id, 'gone');
    }
  }
}
