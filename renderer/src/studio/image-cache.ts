import type { EaselApi } from '../../../shared/ipc/contract';

/**
 * Object URLs of result files by hash: each is fetched through main once per window. A run's
 * results are asked for as soon as its `succeeded` update arrives (studio-store), before React
 * renders them, so the tile finds its URL ready (benchmark studio-result-paint).
 */
const pending = new Map<string, Promise<string | null>>();
const ready = new Map<string, string>();

type FromBase64 = (b64: string) => Uint8Array<ArrayBuffer>;

/** base64 → bytes: the native decoder where the engine has one, else atob and a plain loop. */
function bytesOfBase64(base64: string): Uint8Array<ArrayBuffer> {
  const native = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;
  if (native) return native(base64);
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

export const blobOfBase64 = (base64: string, mime: string): Blob =>
  new Blob([bytesOfBase64(base64)], { type: mime });

/** The URL of a file already fetched, or null. */
export const readyImageUrl = (sha256: string): string | null => ready.get(sha256) ?? null;

export function imageUrl(api: EaselApi, sha256: string): Promise<string | null> {
  let p = pending.get(sha256);
  if (!p) {
    p = api.getFile({ sha256 }).then(
      async (f) => {
        const url = URL.createObjectURL(blobOfBase64(f.base64, f.mime));
        // Decoded here, off the render: the tile's <img> of the same URL then paints at once.
        if (typeof Image !== 'undefined') {
          const img = new Image();
          img.src = url;
          if (typeof img.decode === 'function') await img.decode().catch(() => undefined);
        }
        ready.set(sha256, url);
        return url;
      },
      () => {
        // Asked again next time (offline now, back later).
        pending.delete(sha256);
        return null;
      },
    );
    pending.set(sha256, p);
  }
  return p;
}
