import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IpcEnvelope } from '../../shared/ipc/contract';
import { toErrorEnvelope, easelError } from '../core/errors';
import type { EventHub } from '../core/events';
import type { FileRoute } from '../core/file-route';
import { type HandlerTable, dispatch } from '../core/handlers';
import { FILE_ROUTE } from '../../shared/ipc/types';
import { securityHeaders, serveStatic } from './static';

const MAX_BODY = 40_000_000; // an upload of ~30 MB base64 fits

export interface TransportOptions {
  handlers: HandlerTable;
  /** `GET /files/{sha256}`: result files as bytes (docs/architecture.md §1). */
  files: FileRoute;
  events: EventHub;
  token: string;
  rendererDir: string;
  port?: number;
}

export interface RunningTransport {
  origin: string;
  close(): Promise<void>;
}

const sameToken = (given: string | null, token: string): boolean => {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

const bearerOf = (req: IncomingMessage): string | null => {
  const auth = req.headers.authorization ?? '';
  return auth.startsWith('Bearer ') ? auth.slice(7) : null;
};

/**
 * Browser mode: the handler table over loopback HTTP. `POST /ipc/{call}` (JSON params, bearer
 * token) answers with the envelope; `GET /files/{sha256}` (bearer token) answers with a result
 * file's bytes; `GET /events?token=` streams events as Server-Sent Events; everything else serves the built renderer with a strict CSP. Bound to 127.0.0.1 only, and the
 * Host header must name it (no DNS rebinding).
 */
export async function startTransport(opts: TransportOptions): Promise<RunningTransport> {
  let origin = '';
  const streams = new Set<ServerResponse>();
  const unsubscribe = opts.events.subscribe((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of streams) res.write(frame);
  });

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // toErrorEnvelope logs what is unexpected; the caller gets the error as an envelope.
      if (!res.headersSent) sendJson(res, 500, toErrorEnvelope(error));
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', origin);
    if (req.headers.host !== url.host) {
      res.writeHead(421, securityHeaders).end();
      return;
    }
    if (url.pathname.startsWith('/ipc/')) {
      if (req.method !== 'POST') {
        res.writeHead(405, { ...securityHeaders, allow: 'POST' }).end();
        return;
      }
      const authenticated = sameToken(bearerOf(req), opts.token);
      const call = decodeURIComponent(url.pathname.slice('/ipc/'.length));
      let params: unknown;
      try {
        params = await readJson(req);
      } catch (error) {
        sendJson(res, 400, toErrorEnvelope(error));
        return;
      }
      const envelope = await dispatch(opts.handlers, call, params, {
        transport: 'browser',
        origin: typeof req.headers.origin === 'string' ? req.headers.origin : null,
        authenticated,
      });
      const status = envelope.ok ? 200 : statusOf(envelope.error.code);
      sendJson(res, status, envelope);
      return;
    }
    if (url.pathname.startsWith(FILE_ROUTE)) {
      if (req.method !== 'GET') {
        res.writeHead(405, { ...securityHeaders, allow: 'GET' }).end();
        return;
      }
      const answer = await opts.files(url.pathname, {
        transport: 'browser',
        origin: typeof req.headers.origin === 'string' ? req.headers.origin : null,
        authenticated: sameToken(bearerOf(req), opts.token),
      });
      res.writeHead(answer.status, {
        ...securityHeaders,
        'content-type': answer.mime,
        'content-length': String(Buffer.byteLength(answer.body)),
        'cache-control': 'no-store',
      });
      res.end(answer.body);
      return;
    }
    if (url.pathname === '/events') {
      if (!sameToken(url.searchParams.get('token'), opts.token)) {
        res.writeHead(401, securityHeaders).end();
        return;
      }
      res.writeHead(200, {
        ...securityHeaders,
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, securityHeaders).end();
      return;
    }
    await serveStatic(opts.rendererDir, url.pathname, res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  const keepAlive = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n');
  }, 15_000);
  keepAlive.unref();

  return {
    origin,
    async close() {
      clearInterval(keepAlive);
      unsubscribe();
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function statusOf(code: string): number {
  if (code === 'untrusted-sender') return 403;
  if (code === 'invalid-params' || code === 'unknown-call') return 400;
  return 200; // an application error is still a delivered answer: the envelope says what failed
}

function sendJson(res: ServerResponse, status: number, body: IpcEnvelope) {
  res.writeHead(status, {
    ...securityHeaders,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw easelError('invalid-params', 'send the params as application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw easelError('invalid-params', 'the request body is too large');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw easelError('invalid-params', 'the request body is not JSON');
  }
}
