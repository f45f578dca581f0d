import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EaselError } from '../shared/ipc/contract';
import { createBrowserEasel } from '../renderer/bridge/browser-client';
import { EventHub } from '../main/core/events';
import { createHandlers } from '../main/core/handlers';
import { createFileRoute } from '../main/core/file-route';
import { type IpcSender, originPolicy } from '../main/core/sender';
import { stubImpl } from '../main/core/test-impl';
import { startTransport } from '../main/browser-mode/transport';

describe('browser-mode transport', () => {
  let dir: string;
  let transport: Awaited<ReturnType<typeof startTransport>>;
  const events = new EventHub();
  const token = 'per-launch-token-0123456789';
  let origin = '';
  let signedIn = true;
  const FILE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const FILE_SHA = createHash('sha256').update(FILE).digest('hex');
  const ODD_SHA = 'b'.repeat(64);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'easel-transport-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Easel</title>');
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'assets', 'index-S0IlUIyN.js'), 'export {};');
    await writeFile(join(dir, 'assets', 'plain.js'), 'export {};');
    const policy = (s: IpcSender) => originPolicy({ browser: [origin] })(s);
    const handlers = createHandlers(stubImpl(), policy);
    const files = createFileRoute(async (sha256) => {
      if (!signedIn) throw new EaselError('not-signed-in', 'sign in to see your images');
      if (sha256 === FILE_SHA) return { mime: 'image/png', data: FILE };
      if (sha256 === ODD_SHA) return { mime: 'text/html', data: Buffer.from('<script>') };
      throw new EaselError('not-found', 'no such file', { status: 404 });
    }, policy);
    transport = await startTransport({ handlers, files, events, token, rendererDir: dir });
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

  it('lets the browser keep content-hashed assets, and asks again for index.html and the rest', async () => {
    const hashed = await fetch(`${origin}/assets/index-S0IlUIyN.js`);
    expect(hashed.status).toBe(200);
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    for (const path of [
      '/',
      '/index.html',
      '/studio',
      '/assets/plain.js',
      '/assets/gone-AAAAAAAA.js',
    ]) {
      const res = await fetch(`${origin}${path}`);
      expect(res.headers.get('cache-control') ?? '', path).not.toContain('immutable');
    }
  });

  it('serves a result file as bytes with its type, to the token holder only', async () => {
    const easel = createBrowserEasel(origin, token);
    const blob = await easel.fileBlob(FILE_SHA);
    expect(blob.type).toBe('image/png');
    expect(Buffer.from(await blob.arrayBuffer())).toEqual(FILE);
    const raw = await fetch(`${origin}/files/${FILE_SHA}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('image/png');
    expect(raw.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
    // No token, a wrong token, or another page's Origin: refused before any file is read.
    expect((await fetch(`${origin}/files/${FILE_SHA}`)).status).toBe(403);
    await expect(
      createBrowserEasel(origin, 'guessed-token-0000000000000').fileBlob(FILE_SHA),
    ).rejects.toMatchObject({ code: 'file-403' });
    const foreign = await fetch(`${origin}/files/${FILE_SHA}`, {
      headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
  });

  it('refuses file names that are not a sha256, other methods, unknown and non-image files', async () => {
    const auth = { authorization: `Bearer ${token}` };
    for (const name of ['..%2f..%2fetc%2fpasswd', FILE_SHA.toUpperCase(), `${FILE_SHA}.png`, '']) {
      const res = await fetch(`${origin}/files/${name}`, { headers: auth });
      expect(res.status, name).toBe(400);
      expect(await res.text()).toMatch(/sha256/);
    }
    const post = await fetch(`${origin}/files/${FILE_SHA}`, { method: 'POST', headers: auth });
    expect(post.status).toBe(405);
    expect((await fetch(`${origin}/files/${'a'.repeat(64)}`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${origin}/files/${ODD_SHA}`, { headers: auth })).status).toBe(502);
    await expect(createBrowserEasel(origin, token).fileBlob('../etc/passwd')).rejects.toMatchObject(
      { code: 'invalid-params' },
    );
    signedIn = false;
    try {
      await expect(createBrowserEasel(origin, token).fileBlob(FILE_SHA)).rejects.toMatchObject({
        code: 'not-signed-in',
      });
    } finally {
      signedIn = true;
    }
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
