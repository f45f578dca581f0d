/** Who made an IPC call, as the transport saw it. Handlers refuse anyone else. */
export interface IpcSender {
  transport: 'electron' | 'browser';
  /** The calling frame's origin (Electron: sender frame URL; browser mode: Origin header). */
  origin: string | null;
  /** Browser mode: the per-launch token matched. Electron: the call came from our own window. */
  authenticated: boolean;
}

export type SenderPolicy = (sender: IpcSender) => boolean;

/** Trusts authenticated callers whose origin is one of ours (browser mode: or no Origin at all). */
export function originPolicy(allowed: {
  electron?: readonly string[];
  browser?: readonly string[];
}): SenderPolicy {
  return (sender) => {
    if (!sender.authenticated) return false;
    if (sender.transport === 'electron') {
      return sender.origin !== null && (allowed.electron ?? []).includes(sender.origin);
    }
    // Non-browser HTTP clients (tests, curl) send no Origin; a web page always does.
    return sender.origin === null || (allowed.browser ?? []).includes(sender.origin);
  };
}
