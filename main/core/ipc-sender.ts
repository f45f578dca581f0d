import type { IpcSender } from './sender';

/** What an Electron IPC event says about who sent it (the fields main reads). */
export interface IpcEventLike {
  sender: { id: number };
  /** Null when the frame navigated away or was destroyed before main looked at it. */
  senderFrame: { url: string; parent: unknown } | null;
}

/**
 * Who made an Electron IPC call (docs/architecture.md §1): the calling frame's origin, and
 * whether it is our window's own top frame. A subframe, another window, a frame that has
 * navigated (its URL, or no frame at all) or a foreign origin is not trusted; the handler
 * table's policy then refuses the call.
 */
export function electronSender(
  event: IpcEventLike,
  window: { id: number } | null,
  appOrigin: string,
): IpcSender {
  const frame = event.senderFrame;
  let origin: string | null = null;
  if (frame) {
    try {
      // Custom schemes have an opaque origin in WHATWG URL: compare the prefix instead.
      origin = frame.url.startsWith(`${appOrigin}/`) ? appOrigin : new URL(frame.url).origin;
    } catch {
      origin = null;
    }
  }
  const ownTopFrame =
    window !== null && event.sender.id === window.id && frame !== null && frame.parent === null;
  return { transport: 'electron', origin, authenticated: ownTopFrame };
}
