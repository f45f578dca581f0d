import type { FastifyInstance } from 'fastify';

/**
 * `GET /v1/heartbeat`: a Server-Sent Events stream with a comment line every `intervalMs`. The
 * app keeps one open; when the server goes away the stream ends or falls silent, and the app
 * shows "Offline" within two seconds instead of at its next request (docs/architecture.md §4).
 * No account and no data: it says only that the server is there.
 */
export function heartbeatRoute(app: FastifyInstance, intervalMs = 1000): void {
  const open = new Set<() => void>();
  // End the streams before the server waits for its connections to close.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.get('/v1/heartbeat', (_request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(': ok\n\n');
    const timer = setInterval(() => raw.write(': ok\n\n'), intervalMs);
    timer.unref();
    const end = (): void => {
      if (!open.delete(end)) return;
      clearInterval(timer);
      raw.end();
    };
    open.add(end);
    raw.on('close', end);
  });
}
