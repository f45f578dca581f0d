import {
  type EaselApi,
  type IpcCall,
  type IpcEvent,
  IpcEnvelope,
  channelOf,
  ipcCallNames,
  ipcEvents,
} from '../../shared/ipc/contract';

/** Marks a rejected call's message so the renderer can rebuild the EaselError (see below). */
const ERROR_PREFIX = 'easel-error:';

export interface PreloadIpc {
  invoke(channel: string, params: unknown): Promise<unknown>;
  on(channel: string, listener: (payload: unknown) => void): () => void;
}

/**
 * The object the preload exposes as `window.easel`: one function per call, plus `on`. Built from
 * the contract so no generic `invoke(channel, any)` ever reaches the page. contextBridge copies
 * only an Error's message, so a failure's code and details travel JSON-encoded in the message
 * after ERROR_PREFIX; renderer/bridge/easel.ts turns it back into an EaselError.
 */
export function createPreloadApi(ipc: PreloadIpc): EaselApi {
  const api: Record<string, unknown> = {
    transport: 'electron',
    on(event: IpcEvent, listener: (payload: unknown) => void) {
      if (!Object.hasOwn(ipcEvents, event)) throw new Error(`no event ${String(event)}`);
      return ipc.on(channelOf(event), (payload) => listener(payload));
    },
  };
  for (const call of ipcCallNames) {
    api[call] = async (params: unknown) => unwrap(call, await ipc.invoke(channelOf(call), params));
  }
  return api as unknown as EaselApi;
}

function unwrap(call: IpcCall, raw: unknown): unknown {
  const envelope = IpcEnvelope.safeParse(raw);
  if (!envelope.success)
    throw new Error(
      `${ERROR_PREFIX}${JSON.stringify({ code: 'bad-response', message: `${call}: unreadable answer` })}`,
    );
  if (envelope.data.ok) return envelope.data.value;
  throw new Error(`${ERROR_PREFIX}${JSON.stringify(envelope.data.error)}`);
}
