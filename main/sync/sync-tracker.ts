import type { SyncState } from '../../shared/ipc/types';
import type { EventHub } from '../core/events';
import type { Connectivity } from './connectivity';

/**
 * The visible sync state (idle, syncing with progress, offline since, error with reason). Each
 * change is pushed to the renderer as a `syncState` event.
 */
export class SyncTracker {
  private status: 'idle' | 'syncing' | 'error' = 'idle';
  private progress: SyncState['progress'] = null;
  private error: SyncState['error'] = null;
  private lastSyncedAt: string | null = null;

  constructor(
    private readonly events: EventHub,
    private readonly connectivity: Connectivity,
    private readonly pending: () => number,
    private readonly now: () => Date,
  ) {
    connectivity.onChange(() => this.publish());
  }

  get state(): SyncState {
    const offline = !this.connectivity.online;
    return {
      status: offline ? 'offline' : this.status,
      progress: offline ? null : this.progress,
      offlineSince: this.connectivity.offlineSince,
      lastSyncedAt: this.lastSyncedAt,
      error: this.error,
      pendingMutations: this.pending(),
    };
  }

  syncing(done: number, total: number): void {
    this.status = 'syncing';
    this.progress = { done, total };
    this.error = null;
    this.publish();
  }

  synced(): void {
    this.status = 'idle';
    this.progress = null;
    this.error = null;
    this.lastSyncedAt = this.now().toISOString();
    this.publish();
  }

  failed(code: string, message: string): void {
    this.status = 'error';
    this.progress = null;
    this.error = { code, message };
    this.publish();
  }

  /** Something changed that the state reports (e.g. the outbox length). */
  publish(): void {
    this.events.emit('syncState', this.state);
  }
}
