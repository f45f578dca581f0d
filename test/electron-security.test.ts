import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { Session, WebContents } from 'electron';
import { rendererCsp } from '../main/browser-mode/csp';
import { isAllowedExternalUrl } from '../main/core/external-url';
import { createHandlers } from '../main/core/handlers';
import { originPolicy } from '../main/core/sender';
import { stubImpl } from '../main/core/test-impl';
import { APP_ORIGIN } from '../main/electron/app-origin';
import { hardenContents, hardenSession } from '../main/electron/security';
import { buildWindowOptions } from '../main/electron/window-options';

/**
 * The official Electron security checklist (electronjs.org/docs/latest/tutorial/security),
 * item by item, against the code. Each item fails if the code drifts from it.
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
  it('7. defines a strict Content-Security-Policy', () => {
    expect(rendererCsp).toMatch(/default-src 'self'/);
    expect(rendererCsp).toMatch(/script-src 'self'(;|$)/);
    expect(rendererCsp).not.toMatch(/unsafe-eval/);
    expect(rendererCsp).toMatch(/object-src 'none'/);
    expect(src('main/electron/security.ts')).toMatch(/Content-Security-Policy/);
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
  it('17. serves the renderer from a custom protocol, never file://', () => {
    const protocol = src('main/electron/protocol.ts');
    expect(protocol).toMatch(/registerSchemesAsPrivileged/);
    expect(protocol).toMatch(/secure: true/);
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
  it('19. exposes no Electron API to the page: window.easel only, one function per call', () => {
    const preload = src('main/electron/preload.ts');
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).toMatch(/exposeInMainWorld\(\s*'easel'/);
    expect(preload).toMatch(/createPreloadApi/);
  });
});
