import {
  EaselError,
  type EaselApi,
  type IpcCall,
  type IpcEvent,
  IpcEnvelope,
  ipcCallNames,
  ipcCalls,
  ipcEventNames,
  ipcEvents,
} from '../../shared/ipc/contract';
import { fetchFileBlob } from './file-blob';

type Listener = (payload: unknown) => void;

/**
 * `window.easel` for browser mode: each call is `POST {baseUrl}/ipc/{call}` with the per-launch
 * token, answered by an envelope; events arrive over Server-Sent Events. Same shape as the
 * Electron preload's, so the UI cannot tell them apart except by `transport`.
 */
export function createBrowserEasel(baseUrl: string, token: string): EaselApi {
  const root = baseUrl.replace(/\/+$/, '');
  const listeners = new Map<IpcEvent, Set<Listener>>();
  let source: EventSource | null = null;

  const invoke = async (call: IpcCall, params: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${root}/ipc/${call}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(params ?? {}),
      });
    } catch {
      throw new EaselError(
        'host-unreachable',
        'the Easel app is not running (reload after restarting it)',
      );
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new EaselError('host-unreachable', `the Easel app answered ${res.status} without data`);
    }
    const envelope = IpcEnvelope.safeParse(json);
    if (!envelope.success)
      throw new EaselError('bad-response', 'the Easel app sent an unreadable answer');
    const e = envelope.data;
    if (!e.ok) throw new EaselError(e.error.code, e.error.message, e.error.details);
    const result = ipcCalls[call].result.safeParse(e.value);
    if (!result.success)
      throw new EaselError('bad-response', `${call}: the answer is outside the contract`);
    return result.data;
  };

  const openEvents = () => {
    if (source || typeof EventSource === 'undefined') return;
    source = new EventSource(`${root}/events?token=${encodeURIComponent(token)}`);
    for (const name of ipcEventNames) {
      source.addEventListener(name, (message) => {
        let data: unknown;
        try {
          data = JSON.parse((message as MessageEvent<string>).data);
        } catch {
          return;
        }
        const parsed = ipcEvents[name].safeParse(data);
        if (!parsed.success) return;
        for (const l of listeners.get(name) ?? []) l(parsed.data);
      });
    }
  };

  const api: Record<string, unknown> = {
    transport: 'browser',
    fileBlob: (sha256: string) => fetchFileBlob(root, sha256, { authorization: `Bearer ${token}` }),
    on(event: IpcEvent, listener: Listener) {
      if (!Object.hasOwn(ipcEvents, event))
        throw new EaselError('unknown-event', `no event ${event}`);
      const set = listeners.get(event) ?? new Set<Listener>();
      set.add(listener);
      listeners.set(event, set);
      openEvents();
      return () => {
        set.delete(listener);
        if ([...listeners.values()].every((s) => s.size === 0)) {
          source?.close();
          source = null;
        }
      };
    },
  };
  for (const call of ipcCallNames) api[call] = (params: unknown) => invoke(call, params);
  return Object.freeze(api) as unknown as EaselApi;
}
