import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { rendererCsp } from './csp';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export const securityHeaders: Record<string, string> = {
  'content-security-policy': rendererCsp,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/**
 * Vite names every file under /assets/ by its content hash, so such a file never changes: the
 * browser keeps it without asking again and reuses its compiled code on the next start (V8's code
 * cache lives beside the HTTP cache entry). index.html is asked for each time, so a new build is
 * seen at once (docs/architecture.md §13).
 */
export function cacheControlFor(urlPath: string): string {
  return /^\/assets\/[^/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/.test(urlPath)
    ? 'public, max-age=31536000, immutable'
    : 'no-cache';
}

/** Resolves a URL path inside `root`, or null if it would escape it. */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = normalize(join(root, decoded));
  return full === root || full.startsWith(root.endsWith(sep) ? root : root + sep) ? full : null;
}

/** Serves the built renderer; unknown paths get index.html (client-side routes). */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse) {
  const target = resolveInside(root, urlPath === '/' ? '/index.html' : urlPath);
  let file = target;
  if (
    !file ||
    !(await stat(file).then(
      (s) => s.isFile(),
      () => false,
    ))
  ) {
    file = extname(urlPath) === '' ? join(root, 'index.html') : null;
  }
  const body = file ? await readFile(file).catch(() => null) : null; // unreadable: 404 below
  if (!file || !body) {
    const missing = !(await stat(join(root, 'index.html')).then(
      () => true,
      () => false,
    ));
    res.writeHead(missing ? 503 : 404, { ...securityHeaders, 'content-type': 'text/plain' });
    res.end(missing ? 'The renderer is not built: run `npm run build:renderer`.' : 'Not found');
    return;
  }
  res.writeHead(200, {
    ...securityHeaders,
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': file === target ? cacheControlFor(urlPath) : 'no-cache',
  });
  res.end(body);
}
