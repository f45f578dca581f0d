import type { EaselApi } from '../../../shared/ipc/contract';

/**
 * Object URLs of result files by hash: each is fetched once per window as bytes (`fileBlob`,
 * docs/architecture.md §1) and decoded by `img.decode()` off the window's thread. A run's results
 * are asked for as soon as its `succeeded` update arrives (studio-store), before React renders
 * them, so the tile finds its URL ready (benchmark studio-result-paint).
 */
const pending = new Map<string, Promise<string | null>>();
const ready = new Map<string, string>();

/** The URL of a file already fetched, or null. */
export const readyImageUrl = (sha256: string): string | null => ready.get(sha256) ?? null;

export function imageUrl(api: EaselApi, sha256: string): Promise<string | null> {
  let p = pending.get(sha256);
  if (!p) {
    p = api.fileBlob(sha256).then(
      async (blob) => {
        const url = URL.createObjectURL(blob);
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
