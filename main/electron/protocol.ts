import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { securityHeaders, resolveInside } from '../browser-mode/static';
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

/** Must run before `app.ready`: `app://` behaves like a secure standard origin. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves renderer/dist at app://easel/ with the security headers; nothing outside it. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
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
      headers: { ...securityHeaders, 'content-type': TYPES[extname(file)] ?? 'text/html' },
    });
  });
}
