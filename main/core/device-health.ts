import type { DeviceHealth as HealthState, DevicePart } from '../../shared/ipc/types';
import type { Logger } from '../../shared/log/logger';
import type { EventHub } from './events';

const remedyOf = (part: DevicePart) => (part === 'device-key' ? 'rotate-key' : 'resync');

/**
 * What main could not read, part by part (docs/architecture.md §10). A corrupt or unreadable
 * file is never turned into an empty one: it is reported here (logged, pushed to the window
 * as `deviceHealth`) with its way out, and stays on disk until the user re-syncs.
 */
export class DeviceHealth {
  private readonly problems = new Map<DevicePart, string>();

  constructor(
    private readonly events: EventHub,
    private readonly log: Logger,
  ) {}

  get state(): HealthState {
    return {
      problems: [...this.problems].map(([part, message]) => ({
        part,
        message,
        remedy: remedyOf(part),
      })),
    };
  }

  has(part: DevicePart): boolean {
    return this.problems.has(part);
  }

  report(part: DevicePart, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.problems.get(part) === message) return;
    this.problems.set(part, message);
    this.log.error({ part, err: error }, 'device state unreadable');
    this.events.emit('deviceHealth', this.state);
  }

  clear(part: DevicePart): void {
    if (!this.problems.delete(part)) return;
    this.log.info({ part }, 'device state re-synced');
    this.events.emit('deviceHealth', this.state);
  }
}
