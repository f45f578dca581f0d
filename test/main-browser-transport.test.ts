import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EaselError } from '../shared/ipc/contract';
import { createBrowserEasel } from '../renderer/bridge/browser-client';
import { EventHub } from '../main/core/events';
import { createHandlers } from '../main/core/handlers';
import { originPolicy } from '../main/core/sender';
import { stubImpl } from '../main/core/test-impl';
import { startTransport } from '../main/browser-mode/transport';

describe('browser-mode transport', () => {
  let dir: string;
  let transport: Awaited<ReturnType<typeof startTransport>>;
  const events = new EventHub();
  const token = 'per-launch-token-0123456789';
  let origin = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'easel-transport-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Easel</title>');
    const handlers = createHandlers(stubImpl(), (s) => originPolicy({ browser: [origin] })(s));
    transport = await startTransport({ handlers, events, token, rendererDir: dir });
    origin = transport.origin;
  });
  afterAll(async () => {
    await transport.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves calls through the browser client with the same shape as window.easel', async () => {
    const easel = createBrowserEasel(origin, token);
    expect(easel.transport).toBe('browser');
    expect(await easel.getSession({})).toMatchObject({ signedIn: false });
    await expect(easel.listJobs({})).rejects.toBeInstanceOf(EaselError);
    await expect(easel.listJobs({})).rejects.toMatchObject({ code: 'not-here' });
  });

  it('requires the per-launch token on every call', async () => {
    const wrong = createBrowserEasel(origin, 'guessed-token-0000000000000');
    await expect(wrong.getSession({})).rejects.toMatchObject({ code: 'untrusted-sender' });
    const none = await fetch(`${origin}/ipc/getSession`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(none.status).toBe(403);
    const sse = await fetch(`${origin}/events?token=nope`);
    expect(sse.status).toBe(401);
  });

  it('refuses another web page calling with the token (wrong Origin) and bad payloads', async () => {
    const res = await fetch(`${origin}/ipc/getSession`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        origin: 'https://evil.example',
      },
      body: '{}',
    });
    expect(res.status).toBe(403);
    const bad = await fetch(`${origin}/ipc/signIn`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 1 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'invalid-params' } });
    const text = await fetch(`${origin}/ipc/getSession`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(400);
  });

  it('serves the renderer with a strict CSP, and nothing outside its folder', async () => {
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    const escape = await fetch(`${origin}/..%2f..%2fetc%2fpasswd`);
    expect(await escape.text()).not.toContain('root:');
  });

  it('streams events over SSE with the token', async () => {
    const controller = new AbortController();
    const res = await fetch(`${origin}/events?token=${token}`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    await reader.read(); // the connected comment
    events.emit('ledgerChanged', { headSeq: 42 });
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('event: ledgerChanged\ndata: {"headSeq":42}');
    controller.abort();
  });
});
