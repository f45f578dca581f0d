import { ipcMain, type WebContents } from 'electron';
import { channelOf, ipcCallNames } from '../../shared/ipc/contract';
import type { EventHub } from '../core/events';
import type { HandlerTable } from '../core/handlers';
import { electronSender } from '../core/ipc-sender';
import { APP_ORIGIN } from './app-origin';

/** One `ipcMain.handle` per call; the sender is the frame that called, checked by the table. */
export function serveIpc(handlers: HandlerTable, window: () => WebContents | null): () => void {
  for (const call of ipcCallNames) {
    ipcMain.handle(channelOf(call), (event, params: unknown) =>
      handlers[call](params, electronSender(event, window(), APP_ORIGIN)),
    );
  }
  return () => {
    for (const call of ipcCallNames) ipcMain.removeHandler(channelOf(call));
  };
}

/** Forwards main's events to the window. */
export function forwardEvents(events: EventHub, window: () => WebContents | null): () => void {
  return events.subscribe((event, payload) => {
    const contents = window();
    if (contents && !contents.isDestroyed()) contents.send(channelOf(event), payload);
  });
}
