import { describe, expect, it } from 'vitest';
import { createHandlers } from './handlers';
import { electronSender, type IpcEventLike } from './ipc-sender';
import { originPolicy } from './sender';
import { stubImpl } from './test-impl';

/** The app's origin (main/electron/app-origin.ts; this folder may not import from there). */
const APP_ORIGIN = 'app://easel';

const window = { id: 7 };
const table = createHandlers(stubImpl(), originPolicy({ electron: [APP_ORIGIN] }));
const event = (
  url: string | null,
  opts: { senderId?: number; parent?: unknown } = {},
): IpcEventLike => ({
  sender: { id: opts.senderId ?? 7 },
  senderFrame: url === null ? null : { url, parent: opts.parent ?? null },
});
const verdict = async (e: IpcEventLike, w: { id: number } | null = window) => {
  const env = await table.getSession({}, electronSender(e, w, APP_ORIGIN));
  return env.ok ? 'served' : env.error.code;
};

describe('the Electron IPC sender check', () => {
  it("serves our window's own top frame at the app origin", async () => {
    expect(electronSender(event(`${APP_ORIGIN}/index.html`), window, APP_ORIGIN)).toEqual({
      transport: 'electron',
      origin: APP_ORIGIN,
      authenticated: true,
    });
    expect(await verdict(event(`${APP_ORIGIN}/index.html#/wallet`))).toBe('served');
  });

  it('refuses a foreign frame: a subframe of our window, even one at the app origin', async () => {
    expect(await verdict(event(`${APP_ORIGIN}/index.html`, { parent: { url: APP_ORIGIN } }))).toBe(
      'untrusted-sender',
    );
    expect(await verdict(event('https://ads.example/frame', { parent: {} }))).toBe(
      'untrusted-sender',
    );
  });

  it('refuses a foreign origin, including look-alikes of the app origin', async () => {
    expect(await verdict(event('https://evil.example/'))).toBe('untrusted-sender');
    expect(await verdict(event('app://easel.evil/index.html'))).toBe('untrusted-sender');
    expect(await verdict(event('file:///etc/passwd'))).toBe('untrusted-sender');
    expect(await verdict(event('not a url'))).toBe('untrusted-sender');
  });

  it('refuses a navigated frame: gone (no frame) or now somewhere else', async () => {
    expect(await verdict(event(null))).toBe('untrusted-sender');
    expect(await verdict(event('https://navigated.example/page'))).toBe('untrusted-sender');
  });

  it('refuses another window, and any call before the window exists', async () => {
    expect(await verdict(event(`${APP_ORIGIN}/index.html`, { senderId: 8 }))).toBe(
      'untrusted-sender',
    );
    expect(await verdict(event(`${APP_ORIGIN}/index.html`), null)).toBe('untrusted-sender');
  });
});
