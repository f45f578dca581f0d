import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { startBrowserHost, type BrowserHost } from '../../main/browser-mode/host';
import { SessionResponse } from '../../shared/api/auth';
import { PullResponse } from '../../shared/api/ledger';
import { readConfig } from '../../server/config';
import { startServer, type RunningServer } from '../../server/start';
import { buildRendererIfStale, launchChromium, tempDir } from './harness';
import { freePort } from '../support/ports';

/**
 * The app as the end-to-end tests drive it: a real server (PGlite in its own folder), the
 * browser-mode host (main's code serving the production renderer) and Chromium with one page.
 * docs/architecture.md §12.
 */
export interface E2eApp {
  /** The running server, or null between stopServer() and startServer(). */
  readonly server: RunningServer | null;
  /** The server's address; the same across restarts (a fixed port). */
  serverUrl: string;
  host: BrowserHost;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  serverDir: string;
  appDir: string;
  /** Stops the server (the app goes offline); its data stays. */
  stopServer(): Promise<void>;
  /** Starts the server again on the same port and data. */
  startServer(): Promise<void>;
  /** Closes the browser, the host and the server, then removes both folders. */
  close(): Promise<void>;
}

export interface E2eAppOptions {
  /** Names the temporary folders (easel-e2e-<name>-server-…, …-app-…). */
  name: string;
  /** Extra server environment (EASEL_* settings). */
  serverEnv?: Record<string, string>;
  /** Browser context options; the viewport defaults to 1280×820. */
  context?: BrowserContextOptions;
  /** Runs after the folders exist and before the host starts (e.g. to damage a device file). */
  beforeHost?: (appDir: string) => void;
  /** Runs on the page before it first loads the app (e.g. page.addInitScript). */
  beforeGoto?: (page: Page) => Promise<void>;
}

export async function startE2eApp(opts: E2eAppOptions): Promise<E2eApp> {
  const serverDir = tempDir(`easel-e2e-${opts.name}-server-`);
  const appDir = tempDir(`easel-e2e-${opts.name}-app-`);
  const port = await freePort();
  let server: RunningServer | null = null;
  const opened: { host?: BrowserHost; browser?: Browser } = {};
  const launch = async (): Promise<RunningServer> => {
    // Only these settings: nothing from the caller's environment (a DATABASE_URL, Stripe keys).
    const env = {
      EASEL_DATA_DIR: serverDir,
      EASEL_LOG: 'off',
      ...opts.serverEnv,
      EASEL_PORT: String(port),
    };
    // The same settings for the server's config and for its jobs and purchases.
    return startServer(readConfig(env), { env });
  };
  const stopServer = async (): Promise<void> => {
    const running = server;
    server = null;
    await running?.close();
  };
  const close = async (): Promise<void> => {
    await opened.browser?.close();
    await opened.host?.close();
    await stopServer();
    rmSync(serverDir, { recursive: true, force: true });
    rmSync(appDir, { recursive: true, force: true });
  };
  try {
    const rendererDir = buildRendererIfStale();
    server = await launch();
    const serverUrl = server.url;
    opts.beforeHost?.(appDir);
    const host = await startBrowserHost({ serverUrl, dataDir: appDir, rendererDir });
    opened.host = host;
    const browser = await launchChromium();
    opened.browser = browser;
    const context = await browser.newContext({
      viewport: { width: 1280, height: 820 },
      ...opts.context,
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await opts.beforeGoto?.(page);
    await page.goto(host.url);
    return {
      get server() {
        return server;
      },
      serverUrl,
      host,
      browser,
      context,
      page,
      serverDir,
      appDir,
      stopServer,
      startServer: async () => {
        if (!server) server = await launch();
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

export const testPassword = 'correct horse battery';

/** Creates an account from the sign-up screen and waits for the Studio and a balance. */
export async function signUp(page: Page, email: string, password = testPassword): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
  await page.getByTestId('balance').getByText(/\d/).waitFor({ timeout: 20_000 });
}

/** Gives the account's balance and head in its latest signed checkpoint, asked in a separate session. */
export async function serverSignedState(
  serverUrl: string,
  email: string,
  password = testPassword,
): Promise<{ balance: number; head: number }> {
  const signIn = await fetch(`${serverUrl}/v1/auth/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const { token } = SessionResponse.parse(await signIn.json());
  let after = 0;
  for (;;) {
    const res = await fetch(`${serverUrl}/v1/ledger/entries?after=${after}&limit=5000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const pull = PullResponse.parse(await res.json());
    after = pull.checkpoint.checkpoint.seq;
    if (after >= pull.headSeq)
      return { balance: pull.checkpoint.checkpoint.balances.image ?? 0, head: after };
  }
}

/** Gives a second member's app (its own host, data folder and Chromium context) on `app`'s server. */
export type MemberApp = Awaited<ReturnType<typeof startMemberApp>>;
export async function startMemberApp(app: E2eApp, dirPrefix: string) {
  const dataDir = tempDir(dirPrefix);
  const opened: { host?: BrowserHost; context?: BrowserContext } = {};
  const close = async (): Promise<void> => {
    await opened.context?.close();
    await opened.host?.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const host = await startBrowserHost({
      serverUrl: app.serverUrl,
      dataDir,
      rendererDir: buildRendererIfStale(),
    });
    opened.host = host;
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    opened.context = context;
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('member page error:', e.message));
    await page.goto(host.url);
    return { host, page, close };
  } catch (e) {
    await close();
    throw e;
  }
}
