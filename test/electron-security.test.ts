import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it, vi } from 'vitest';
import type { Session, WebContents } from 'electron';
import { channelOf, ipcCallNames } from '../shared/ipc/contract';
import { rendererCsp } from '../main/browser-mode/csp';
import { isAllowedExternalUrl } from '../main/core/external-url';
import { createFileRoute } from '../main/core/file-route';
import { createHandlers } from '../main/core/handlers';
import { originPolicy } from '../main/core/sender';
import { stubImpl } from '../main/core/test-impl';
import { APP_ORIGIN, APP_SCHEME } from '../main/electron/app-origin';
import { serveIpc } from '../main/electron/ipc';
import { registerAppScheme, serveRenderer } from '../main/electron/protocol';
import { hardenContents, hardenSession } from '../main/electron/security';
import { buildWindowOptions } from '../main/electron/window-options';

/**
 * What the Electron modules under test get from `electron`: recording stand-ins, so the
 * checklist exercises main's real code (IPC handlers, the app:// protocol, the preload's
 * bridge) without the Electron binary.
 */
const electron = vi.hoisted(() => ({
  handlers: new Map<string, (event: unknown, params: unknown) => unknown>(),
  privileged: [] as unknown[],
  protocolHandler: null as ((request: Request) => Promise<Response>) | null,
  exposed: [] as Array<{ name: string; api: Record<string, unknown> }>,
}));
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, params: unknown) => unknown) =>
      electron.handlers.set(channel, fn),
    removeHandler: (channel: string) => electron.handlers.delete(channel),
  },
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown[]) => electron.privileged.push(...schemes),
    handle: (_scheme: string, fn: (request: Request) => Promise<Response>) =>
      (electron.protocolHandler = fn),
  },
  contextBridge: {
    exposeInMainWorld: (name: string, api: Record<string, unknown>) =>
      electron.exposed.push({ name, api }),
  },
  ipcRenderer: { invoke: async () => ({ ok: true, value: null }), on: () => undefined },
}));

/**
 * The official Electron security checklist (electronjs.org/docs/latest/tutorial/security),
 * item by item, against the code. Each item fails if the code drifts from it. Items that
 * can run without the Electron binary run main's code; the rest read the source or config.
 */
const src = (path: string) => readFileSync(path, 'utf8');
const prefs = buildWindowOptions('/app/preload.cjs').webPreferences ?? {};

type Listener = (...args: unknown[]) => void;
function fakeContents() {
  const listeners = new Map<string, Listener>();
  let windowOpen: ((d: { url: string }) => { action: string }) | undefined;
  const contents = {
    on: (event: string, fn: Listener) => listeners.set(event, fn),
    setWindowOpenHandler: (fn: (d: { url: string }) => { action: string }) => (windowOpen = fn),
  };
  return {
    contents: contents as unknown as WebContents,
    listeners,
    open: (url: string) => windowOpen?.({ url }),
  };
}
const navigate = (fn: Listener | undefined, url: string) => {
  let prevented = false;
  fn?.({ preventDefault: () => (prevented = true) }, url);
  return prevented;
};

describe('Electron security checklist', () => {
  it('1. only loads secure content: the app comes from the app:// origin, remote content is not loaded', () => {
    expect(APP_ORIGIN).toMatch(/^app:\/\//);
    expect(src('main/electron/main.ts')).toMatch(/loadURL\(APP_URL\)/);
  });
  it('2–4. no Node integration, context isolation on, the renderer sandboxed', () => {
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker ?? false).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames ?? false).toBe(false);
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
  });
  it('5. denies every session permission request', () => {
    let request: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    const session = {
      setPermissionRequestHandler: (fn: typeof request) => (request = fn),
      setPermissionCheckHandler: (fn: typeof check) => (check = fn),
      setDevicePermissionHandler: () => undefined,
      webRequest: { onHeadersReceived: () => undefined },
    };
    hardenSession(session as unknown as Session);
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
    ]) {
      let granted: boolean | undefined;
      request?.(null, permission, (ok) => (granted = ok));
      expect(granted, permission).toBe(false);
    }
    expect(check?.()).toBe(false);
  });
  it('6, 8, 9. web security on, no insecure content, no experimental or Blink features', () => {
    expect(prefs.webSecurity ?? true).toBe(true);
    expect(prefs.allowRunningInsecureContent ?? false).toBe(false);
    expect(prefs.experimentalFeatures ?? false).toBe(false);
    expect(prefs.enableBlinkFeatures).toBeUndefined();
  });
  it('7. defines a strict Content-Security-Policy, set on every response the session loads', () => {
    expect(rendererCsp).toMatch(/default-src 'self'/);
    expect(rendererCsp).toMatch(/script-src 'self'(;|$)/);
    expect(rendererCsp).not.toMatch(/unsafe-eval/);
    expect(rendererCsp).toMatch(/object-src 'none'/);
    type HeadersListener = (
      details: { responseHeaders?: Record<string, string[]> },
      callback: (r: { responseHeaders: Record<string, string[]> }) => void,
    ) => void;
    let onHeaders: HeadersListener | undefined;
    hardenSession({
      setPermissionRequestHandler: () => undefined,
      setPermissionCheckHandler: () => undefined,
      setDevicePermissionHandler: () => undefined,
      webRequest: { onHeadersReceived: (fn: HeadersListener) => (onHeaders = fn) },
    } as unknown as Session);
    let headers: Record<string, string[]> = {};
    onHeaders?.(
      {
        responseHeaders: { 'Content-Security-Policy': ["default-src *; script-src 'unsafe-eval'"] },
      },
      (r) => (headers = r.responseHeaders),
    );
    expect(headers['Content-Security-Policy']).toEqual([rendererCsp]); // a server's own CSP is replaced
  });
  it('10–11. no <webview>: the tag is off and attaching one is prevented', () => {
    expect(prefs.webviewTag ?? false).toBe(false);
    const { contents, listeners } = fakeContents();
    hardenContents(
      contents,
      () => undefined,
      () => 'http://127.0.0.1:4780',
    );
    expect(navigate(listeners.get('will-attach-webview'), 'https://evil.example')).toBe(true);
  });
  it('12. limits navigation to the app itself', () => {
    const { contents, listeners } = fakeContents();
    hardenContents(
      contents,
      () => undefined,
      () => 'http://127.0.0.1:4780',
    );
    expect(navigate(listeners.get('will-navigate'), 'https://evil.example/')).toBe(true);
    expect(navigate(listeners.get('will-navigate'), 'file:///etc/passwd')).toBe(true);
    expect(navigate(listeners.get('will-redirect'), 'https://evil.example/')).toBe(true);
    expect(navigate(listeners.get('will-navigate'), `${APP_ORIGIN}/index.html`)).toBe(false);
  });
  it('13–14. denies new windows; only allow-listed https URLs go to the system browser', () => {
    const opened: string[] = [];
    const { contents, open } = fakeContents();
    hardenContents(
      contents,
      (url) => opened.push(url),
      () => 'http://127.0.0.1:4780',
    );
    expect(open('https://checkout.stripe.com/c/pay/cs_1')).toEqual({ action: 'deny' });
    expect(open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(open('http://checkout.stripe.com/')).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://checkout.stripe.com/c/pay/cs_1']);
    expect(isAllowedExternalUrl('javascript:alert(1)', null)).toBe(false);
    expect(isAllowedExternalUrl('https://user:pw@checkout.stripe.com/', null)).toBe(false);
    expect(
      isAllowedExternalUrl('http://127.0.0.1:4780/sandbox/checkout/x', 'http://127.0.0.1:4780'),
    ).toBe(true);
  });
  it('15. uses a current Electron', () => {
    const version = (JSON.parse(src('node_modules/electron/package.json')) as { version: string })
      .version;
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(40);
  });
  it('16. validates the sender of every IPC message', async () => {
    const table = createHandlers(stubImpl(), originPolicy({ electron: [APP_ORIGIN], browser: [] }));
    // Through main's real ipcMain handlers: our window's top frame is served; a subframe, a
    // foreign origin, a navigated (gone) frame and another window are refused.
    electron.handlers.clear();
    const stop = serveIpc(table, () => ({ id: 1 }) as unknown as WebContents);
    expect(electron.handlers.size).toBe(ipcCallNames.length);
    const ask = (senderId: number, frame: { url: string; parent: unknown } | null) =>
      electron.handlers.get(channelOf('getSession'))?.(
        { sender: { id: senderId }, senderFrame: frame },
        {},
      );
    const app = `${APP_ORIGIN}/index.html`;
    expect(await ask(1, { url: app, parent: null })).toMatchObject({ ok: true });
    for (const [id, frame] of [
      [1, { url: app, parent: {} }],
      [1, { url: 'https://evil.example/', parent: null }],
      [1, null],
      [2, { url: app, parent: null }],
    ] as const) {
      expect(await ask(id, frame)).toMatchObject({
        ok: false,
        error: { code: 'untrusted-sender' },
      });
    }
    stop();
    expect(electron.handlers.size).toBe(0);
    const foreign = await table.getSession(
      {},
      { transport: 'electron', origin: 'https://evil.example', authenticated: true },
    );
    expect(foreign).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    const unauthenticated = await table.getSession(
      {},
      { transport: 'browser', origin: null, authenticated: false },
    );
    expect(unauthenticated).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    const badPayload = await table.signIn(
      { email: 'x', password: 3 },
      { transport: 'electron', origin: APP_ORIGIN, authenticated: true },
    );
    expect(badPayload).toMatchObject({ ok: false });
  });
  it('17. serves the renderer from a custom protocol, never file://', async () => {
    registerAppScheme();
    expect(electron.privileged).toContainEqual({
      scheme: APP_SCHEME,
      privileges: expect.objectContaining({ standard: true, secure: true }),
    });
    const dir = mkdtempSync(join(tmpdir(), 'easel-renderer-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Easel</title>');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    serveRenderer(
      dir,
      createFileRoute(
        async () => ({ mime: 'image/png', data: png }),
        originPolicy({ electron: [APP_ORIGIN] }),
      ),
    );
    const get = (url: string, init?: RequestInit) =>
      electron.protocolHandler?.(new Request(url, init));
    const index = await get(`${APP_ORIGIN}/index.html`);
    expect(index?.status).toBe(200);
    expect(index?.headers.get('content-security-policy')).toBe(rendererCsp);
    expect((await get('app://other/index.html'))?.status).toBe(404);
    expect((await get(`${APP_ORIGIN}/..%2f..%2fetc%2fpasswd.js`))?.status).toBe(404);
    // Result files: only to our own origin, only names that are a sha256.
    const sha = 'c'.repeat(64);
    const file = await get(`${APP_ORIGIN}/files/${sha}`, { headers: { origin: APP_ORIGIN } });
    expect(file?.status).toBe(200);
    expect(file?.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await file!.arrayBuffer())).toEqual(png);
    expect((await get(`${APP_ORIGIN}/files/${sha}`))?.status).toBe(403);
    const foreign = { headers: { origin: 'https://evil.example' } };
    expect((await get(`${APP_ORIGIN}/files/${sha}`, foreign))?.status).toBe(403);
    const own = { headers: { origin: APP_ORIGIN } };
    expect((await get(`${APP_ORIGIN}/files/..%2f..%2fetc%2fpasswd`, own))?.status).toBe(400);
    rmSync(dir, { recursive: true, force: true });
    for (const file of [
      'main/electron/main.ts',
      'main/electron/protocol.ts',
      'main/electron/window-options.ts',
    ]) {
      expect(src(file), file).not.toMatch(/loadFile\(|['"`]file:\/\//);
    }
  });
  it('18. flips the fuses: no run-as-node, no NODE_OPTIONS, no inspect, asar only, cookie encryption', () => {
    const config = load(src('electron-builder.yml')) as { electronFuses: Record<string, boolean> };
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
    });
  });
  it('19. exposes no Electron API to the page: window.easel only, one function per call', async () => {
    await import('../main/electron/preload');
    expect(electron.exposed.map((e) => e.name)).toEqual(['easel']);
    const api = electron.exposed[0]?.api ?? {};
    expect(Object.keys(api).sort()).toEqual([...ipcCallNames, 'on', 'transport'].sort());
    for (const call of ipcCallNames) expect(typeof api[call]).toBe('function');
    expect(api.transport).toBe('electron');
  });
});
