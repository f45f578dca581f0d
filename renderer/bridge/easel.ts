import { EaselError, type EaselApi, ipcCallNames } from '../../shared/ipc/contract';
import { createBrowserEasel } from './browser-client';
import { blobOfBase64, fetchFileBlob } from './file-blob';

const TOKEN_KEY = 'easel.browserToken';
let cached: EaselApi | null = null;

/** The token the browser-mode host put in the printed URL (`#token=…`), kept for reloads. */
function browserToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match?.[1]) {
    const token = decodeURIComponent(match[1]);
    sessionStorage.setItem(TOKEN_KEY, token);
    // Keep the token out of the address bar and history once read.
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    return token;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

// Must match main/core/preload-api.ts: contextBridge keeps only an Error's message, so the
// preload puts the code and details there as JSON after this prefix.
const ERROR_PREFIX = 'easel-error:';

function rehydrate(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const at = error.message.indexOf(ERROR_PREFIX);
  if (at < 0) return error;
  try {
    const data = JSON.parse(error.message.slice(at + ERROR_PREFIX.length)) as {
      code?: unknown;
      message?: unknown;
      details?: unknown;
    };
    if (typeof data.code === 'string' && typeof data.message === 'string') {
      return new EaselError(data.code, data.message, data.details);
    }
  } catch {
    // not ours: leave it as it is
  }
  return error;
}

/** The preload's `window.easel`, with failures turned back into EaselErrors. */
function withEaselErrors(api: EaselApi): EaselApi {
  const wrapped: Record<string, unknown> = {
    transport: api.transport,
    on: api.on.bind(api),
    // app://easel/files/{sha256}; where main cannot tell who asked, the file comes as base64.
    fileBlob: (sha256: string) =>
      fetchFileBlob(location.origin, sha256, {}).catch(async () => {
        const file = await (wrapped.getFile as EaselApi['getFile'])({ sha256 });
        return blobOfBase64(file.base64, file.mime);
      }),
  };
  for (const call of ipcCallNames) {
    const fn = api[call] as (params: unknown) => Promise<unknown>;
    wrapped[call] = (params: unknown) =>
      fn(params).catch((error: unknown) => {
        throw rehydrate(error);
      });
  }
  return Object.freeze(wrapped) as unknown as EaselApi;
}

/**
 * `window.easel` under Electron (from the preload, failures as EaselErrors); otherwise the
 * browser-mode client for this origin and the token from the printed URL.
 */
export function getEasel(): EaselApi {
  if (cached) return cached;
  const fromPreload = (window as unknown as { easel?: EaselApi }).easel;
  if (fromPreload) {
    cached = withEaselErrors(fromPreload);
    return cached;
  }
  const token = browserToken();
  if (!token) {
    throw new EaselError(
      'no-bridge',
      'open Easel from the link `npm start` printed (it carries the session token)',
    );
  }
  cached = createBrowserEasel(location.origin, token);
  return cached;
}
