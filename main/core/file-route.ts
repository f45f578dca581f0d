import { EaselError } from '../../shared/ipc/contract';
import { FILE_ROUTE, FileMime, FileSha256 } from '../../shared/ipc/types';
import type { IpcSender, SenderPolicy } from './sender';

/** What the file route answers: the file's bytes and type, or a status and a sentence. */
type FileAnswer =
  | { status: 200; mime: FileMime; body: Buffer }
  | { status: 400 | 401 | 403 | 404 | 502; mime: 'text/plain; charset=utf-8'; body: string };

export type FileRoute = (pathname: string, sender: IpcSender) => Promise<FileAnswer>;

const refusal = (status: 400 | 401 | 403 | 404 | 502, message: string): FileAnswer => ({
  status,
  mime: 'text/plain; charset=utf-8',
  body: message,
});

const statusOf = (details: unknown): unknown =>
  typeof details === 'object' && details !== null && 'status' in details
    ? details.status
    : undefined;

/**
 * `GET /files/{sha256}` (docs/architecture.md §1): a result file as bytes, for both transports.
 * The caller is checked by the same policy as every IPC call, the name must be a sha256 (so no
 * path reaches the disk from the URL), and only the signed-in account's files are served.
 */
export function createFileRoute(
  read: (sha256: string) => Promise<{ mime: string; data: Buffer }>,
  policy: SenderPolicy,
): FileRoute {
  return async (pathname, sender) => {
    if (!policy(sender)) return refusal(403, "refused: the caller is not this app's window");
    if (!pathname.startsWith(FILE_ROUTE)) return refusal(404, 'not a file route');
    const sha256 = FileSha256.safeParse(pathname.slice(FILE_ROUTE.length));
    if (!sha256.success) return refusal(400, 'a file is named by its sha256 (64 hex digits)');
    let file: { mime: string; data: Buffer };
    try {
      file = await read(sha256.data);
    } catch (error) {
      if (!(error instanceof EaselError)) throw error;
      if (error.code === 'not-signed-in') return refusal(401, error.message);
      if (statusOf(error.details) === 404) return refusal(404, 'no such file of yours');
      return refusal(502, error.message);
    }
    const mime = FileMime.safeParse(file.mime);
    if (!mime.success) return refusal(502, 'the file is not an image Easel shows');
    return { status: 200, mime: mime.data, body: file.data };
  };
}
