import { startAutoUpdate } from './updater';
import { BrowserWindow, Notification, app, session, shell } from 'electron';
import { join } from 'node:path';
import { createCore } from '../core/app-core';
import { isAllowedExternalUrl } from '../core/external-url';
import { createFileRoute } from '../core/file-route';
import { createHandlers } from '../core/handlers';
import { linkInArgs } from '../core/links';
import { log } from '../core/log';
import { originPolicy } from '../core/sender';
import { APP_ORIGIN, APP_URL, LINK_SCHEME } from './app-origin';
import { forwardEvents, serveIpc } from './ipc';
import { registerAppScheme, serveRenderer } from './protocol';
import { SafeStorageSecretStore } from './safe-storage';
import { hardenContents, hardenSession } from './security';
import { buildWindowOptions } from './window-options';

/**
 * The Electron main process: one hardened window, the handler table over IPC, `easel://` links.
 * Started by scripts/start.ts with EASEL_SERVER_URL and EASEL_RENDERER_DIR set; the bundle sits
 * next to preload.cjs (scripts/build-main.ts).
 */
const serverUrl = process.env.EASEL_SERVER_URL ?? 'http://127.0.0.1:4780';
// The embedded server's per-launch operator secret (scripts/start.ts): read once, then dropped
// from the environment so nothing this process starts inherits it.
const operatorSecret = process.env.EASEL_OPERATOR_SECRET;
delete process.env.EASEL_OPERATOR_SECRET;
const rendererDir = process.env.EASEL_RENDERER_DIR ?? join(process.cwd(), 'renderer', 'dist');
const here = typeof __dirname === 'string' ? __dirname : process.cwd();
// Test hooks, in the spirit of Signal Desktop's: a data folder of the test's choosing, and the
// links that reached the handler recorded where the Electron suite (test/electron/) reads them.
if (process.env.EASEL_APP_DATA_DIR) app.setPath('userData', process.env.EASEL_APP_DATA_DIR);
const testHooks = process.env.EASEL_TEST_HOOKS === '1';
const linksSeen: string[] = [];
if (testHooks) Object.assign(globalThis, { __easelLinksSeen: linksSeen });

registerAppScheme();
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

async function start(): Promise<void> {
  if (process.defaultApp && process.argv[1]) {
    // electronegativity-ignore: PROTOCOL_HANDLER_JS_CHECK — easel:// is required for the checkout return; links are parsed strictly and only trigger a sync or an invite prompt the user answers
    app.setAsDefaultProtocolClient(LINK_SCHEME, process.execPath, [process.argv[1]]);
  } else {
    // electronegativity-ignore: PROTOCOL_HANDLER_JS_CHECK — easel:// is required for the checkout return; links are parsed strictly and only trigger a sync or an invite prompt the user answers
    app.setAsDefaultProtocolClient(LINK_SCHEME);
  }
  const pendingLinks: string[] = [];
  let onLink: (url: string) => void = (url) => pendingLinks.push(url);
  // macOS delivers links with open-url (possibly before ready); Windows/Linux start a second instance.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    onLink(url);
  });
  const initial = linkInArgs(process.argv);
  if (initial) pendingLinks.push(initial);

  await app.whenReady();
  hardenSession(session.defaultSession);
  const dataDir = join(app.getPath('userData'), 'easel');
  const core = await createCore({
    dataDir,
    serverUrl,
    secrets: new SafeStorageSecretStore(dataDir),
    ...(operatorSecret ? { operatorSecret } : {}),
    openExternal: async (url) => {
      if (!isAllowedExternalUrl(url, serverUrl)) return false;
      // electronegativity-ignore: OPEN_EXTERNAL_JS_CHECK — guarded on the line above by isAllowedExternalUrl (https allow-list or the server's own origin)
      await shell.openExternal(url);
      return true;
    },
    // A run that finished while the user was on another screen or app (docs/architecture.md §8).
    notify: async (title, body) => {
      if (!Notification.isSupported()) return false;
      const note = new Notification({ title, body, silent: false });
      note.on('click', () => focus());
      note.show();
      return true;
    },
  });

  let win: BrowserWindow | null = null;
  const contents = () => (win && !win.isDestroyed() ? win.webContents : null);
  const policy = originPolicy({ electron: [APP_ORIGIN] });
  const handlers = createHandlers(core.impl, policy);
  serveRenderer(
    rendererDir,
    createFileRoute((sha256) => core.fileBytes(sha256), policy),
  );
  serveIpc(handlers, contents);
  forwardEvents(core.events, contents);

  const focus = () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  };
  onLink = (url) => {
    if (testHooks) linksSeen.push(url);
    focus();
    void core.handleLink(url);
  };
  for (const url of pendingLinks.splice(0)) onLink(url);
  app.on('second-instance', (_event, argv) => {
    const link = linkInArgs(argv);
    if (link) onLink(link);
    else focus();
  });
  app.on('web-contents-created', (_event, created) => {
    hardenContents(
      created,
      // electronegativity-ignore: OPEN_EXTERNAL_JS_CHECK — hardenContents only calls this after isAllowedExternalUrl (https allow-list or the server's own origin)
      (url) => void shell.openExternal(url),
      () => serverUrl,
    );
  });

  win = new BrowserWindow(buildWindowOptions(join(here, 'preload.cjs')));
  win.once('ready-to-show', () => win?.show());
  await win.loadURL(APP_URL);
  startAutoUpdate((message) => log.warn({ part: 'updater' }, message));
  app.on('window-all-closed', () => {
    void core.close().finally(() => app.quit());
  });
}
