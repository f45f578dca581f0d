import { createServer, type Server } from 'node:http';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatRoute } from '../server/http/heartbeat';
import { HttpClient } from '../main/clients/http';
import { Connectivity } from '../main/sync/connectivity';
import { Heartbeat } from '../main/sync/heartbeat';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function watch(baseUrl: string, staleMs = 500) {
  const connectivity = new Connectivity({ probeMs: 60_000 });
  const http = new HttpClient({
    baseUrl: () => baseUrl,
    token: async () => null,
    onReachability: (ok) => connectivity.report(ok),
  });
  connectivity.attach(http);
  const heartbeat = new Heartbeat(http, connectivity, { staleMs });
  cleanups.push(
    () => heartbeat.close(),
    () => connectivity.close(),
  );
  heartbeat.open();
  return connectivity;
}

const until = async (check: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const listen = async (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
    }),
  );

describe('heartbeat: the server going away is noticed within two seconds', () => {
  it('stays online while the server beats, and goes offline when it stops', async () => {
    const app = Fastify();
    heartbeatRoute(app, 100);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const connectivity = watch(url);
    await new Promise((r) => setTimeout(r, 1200)); // beats keep coming: longer than staleMs
    expect(connectivity.online).toBe(true);
    await app.close();
    await until(() => !connectivity.online, 2000);
  });

  it('goes offline when the stream falls silent (a server that hangs)', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': ok\n\n'); // then nothing
    });
    const url = await listen(server);
    cleanups.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const connectivity = watch(url, 300);
    await until(() => !connectivity.online, 2000);
  });

  it('leaves an older server without the route alone (no false Offline)', async () => {
    const app = Fastify();
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    const connectivity = watch(url, 300);
    await new Promise((r) => setTimeout(r, 800));
    expect(connectivity.online).toBe(true);
  });
});
