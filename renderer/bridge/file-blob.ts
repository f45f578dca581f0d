import { EaselError } from '../../shared/ipc/contract';
import { FILE_ROUTE, FileMime, FileSha256 } from '../../shared/ipc/types';

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

/**
 * `GET {origin}/files/{sha256}` (docs/architecture.md §1): a result file as a Blob, its bytes
 * never touching the window's thread as text. Only the image types of `FileMime` are accepted.
 */
export async function fetchFileBlob(
  origin: string,
  sha256: string,
  headers: Record<string, string>,
): Promise<Blob> {
  const sha = FileSha256.safeParse(sha256);
  if (!sha.success)
    throw new EaselError('invalid-params', 'a file is named by its sha256 (64 hex digits)');
  let res: Response;
  try {
    res = await fetch(`${origin}${FILE_ROUTE}${sha.data}`, { headers, cache: 'no-store' });
  } catch {
    throw new EaselError(
      'host-unreachable',
      'the Easel app is not running (reload after restarting it)',
    );
  }
  if (!res.ok) {
    const said = await res.text().catch(() => '');
    throw new EaselError(
      res.status === 401 ? 'not-signed-in' : `file-${res.status}`,
      said || `the image could not be read (${res.status})`,
    );
  }
  const mime = FileMime.safeParse(res.headers.get('content-type'));
  if (!mime.success) throw new EaselError('bad-response', 'the file is not an image Easel shows');
  const blob = await res.blob();
  return blob.type === mime.data ? blob : new Blob([blob], { type: mime.data });
}
