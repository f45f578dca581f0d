import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { FILE_ROUTE } from '../../shared/ipc/types';
import { cacheControlFor, securityHeaders, resolveInside } from '../browser-mode/static';
import type { FileRoute } from '../core/file-route';
import { APP_HOST, APP_SCHEME } from './app-origin';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/**
 * Must run before `app.ready`: `app://` behaves like a secure standard origin, and its scripts get
 * V8's code cache like https ones (a faster start from the second launch, §13).
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
  ]);
}

/**
 * Who asked for a file: the origin Electron says issued the request (`initiatorOrigin`, which the
 * page cannot set), else its Origin header; none means refused (docs/architecture.md §1).
 */
function initiatorOf(request: Request): string | null {
  const stated: unknown = (request as Request & { initiatorOrigin?: unknown }).initiatorOrigin;
  if (typeof stated === 'string') return stated;
  return request.headers.get('origin');
}

/**
 * Serves renderer/dist at app://easel/ with the security headers; nothing outside it. Result
 * files are served at app://easel/files/{sha256} through the same route as browser mode's.
 */
export function serveRenderer(rendererDir: string, files: FileRoute): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
    if (url.pathname.startsWith(FILE_ROUTE)) {
      if (request.method !== 'GET') return new Response(null, { status: 405 });
      const answer = await files(url.pathname, {
        transport: 'electron',
        origin: initiatorOf(request),
        authenticated: true,
      });
      const body = typeof answer.body === 'string' ? answer.body : new Uint8Array(answer.body);
      return new Response(body, {
        status: answer.status,
        headers: { ...securityHeaders, 'content-type': answer.mime, 'cache-control': 'no-store' },
      });
    }
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    const file = resolveInside(rendererDir, path) ?? '';
    // A file that cannot be read is answered 404 below.
    const body =
      (file ? await readFile(file).catch(() => null) : null) ??
      (extname(path) === ''
        ? await readFile(join(rendererDir, 'index.html')).catch(() => null)
        : null);
    if (!body) return new Response('not found', { status: 404, headers: securityHeaders });
    return new Response(new Uint8Array(body), {
      headers: {
        ...securityHeaders,
        'content-type': TYPES[extname(file)] ?? 'text/html',
        'cache-control': cacheControlFor(path),
      },
    });
  });
}
