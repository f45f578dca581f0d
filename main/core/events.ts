import { type IpcEvent, type IpcEventPayload, ipcEvents } from '../../shared/ipc/contract';
import type { Logger } from '../../shared/log/logger';

export type EventListener = (event: IpcEvent, payload: unknown) => void;

/** Events main pushes to the renderer; payloads are checked against the contract on emit. */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly log?: Logger) {}

  emit<E extends IpcEvent>(event: E, payload: IpcEventPayload<E>): void {
    const checked = ipcEvents[event].parse(payload);
    for (const listener of this.listeners) {
      try {
        listener(event, checked);
      } catch (error) {
        // One broken transport must not stop the others from hearing the event.
        this.log?.error({ err: error, event }, 'an event listener failed');
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
