import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to the next responses. Tests flip these between steps. */
export interface Faults {
  /** Refuse every connection (the network is gone). */
  down: boolean;
  /** Answer this many requests with 500 before passing traffic again. */
  fail500: number;
  /** Rewrite JSON answers for matching paths (a lying proxy). */
  tamper: ((path: string, json: unknown) => unknown) | null;
  /** Send half of the next pull answer, then cut the connection. */
  cutNextPull: boolean;
}

/** A man-in-the-middle between main and the real server, for fault tests. */
export async function startFaultProxy(upstream: string) {
  const faults: Faults = { down: false, fail500: 0, tamper: null, cutNextPull: false };
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    void forward(req, res).catch(() => res.destroy());
  });

  async function forward(req: IncomingMessage, res: ServerResponse) {
    if (faults.down) {
      res.socket?.destroy();
      return;
    }
    if (faults.fail500 > 0) {
      faults.fail500--;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: 'injected failure' } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    }
    const upstreamRes = await fetch(new URL(req.url ?? '/', upstream), {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    let body = Buffer.from(await upstreamRes.arrayBuffer());
    const path = (req.url ?? '').split('?')[0] ?? '';
    const type = upstreamRes.headers.get('content-type') ?? 'application/octet-stream';
    if (faults.tamper && type.includes('json')) {
      body = Buffer.from(JSON.stringify(faults.tamper(path, JSON.parse(body.toString('utf8')))));
    }
    if (faults.cutNextPull && path === '/v1/ledger/entries') {
      faults.cutNextPull = false;
      res.writeHead(upstreamRes.status, { 'content-type': type, 'content-length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.writeHead(upstreamRes.status, { 'content-type': type, 'content-length': body.length });
    res.end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    get requests() {
      return requests;
    },
    reset() {
      Object.assign(faults, { down: false, fail500: 0, tamper: null, cutNextPull: false });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
