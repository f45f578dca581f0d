import { randomBytes } from 'node:crypto';
import { createCore } from '../core/app-core';
import { createFileRoute } from '../core/file-route';
import { createHandlers } from '../core/handlers';
import { type IpcSender, originPolicy } from '../core/sender';
import { PlainFileSecretStore } from '../secrets/file-store';
import { startTransport } from './transport';

export interface BrowserHost {
  /** http://127.0.0.1:PORT/#token=… — open this in a browser. */
  url: string;
  baseUrl: string;
  token: string;
  /**
   * An `easel://` link reached the app, as Electron's open-url and second-instance deliver them
   * (docs/architecture.md §14): browser mode has no OS handler, so `npm start -- <link>` and the
   * end-to-end tests hand it over here.
   */
  openLink(url: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Browser mode (no Electron binary, and the end-to-end tests): main's handler table served on
 * loopback with a random per-launch token, plus the built renderer.
 */
export async function startBrowserHost(opts: {
  serverUrl: string;
  dataDir: string;
  rendererDir: string;
  port?: number;
  /** The embedded server's operator secret, when this process started that server. */
  operatorSecret?: string;
}): Promise<BrowserHost> {
  const token = randomBytes(32).toString('base64url');
  const core = await createCore({
    dataDir: opts.dataDir,
    serverUrl: opts.serverUrl,
    secrets: new PlainFileSecretStore(opts.dataDir),
    ...(opts.operatorSecret ? { operatorSecret: opts.operatorSecret } : {}),
  });
  let allowedOrigin = '';
  const policy = (sender: IpcSender) => originPolicy({ browser: [allowedOrigin] })(sender);
  const handlers = createHandlers(core.impl, policy);
  const transport = await startTransport({
    handlers,
    files: createFileRoute((sha256) => core.fileBytes(sha256), policy),
    events: core.events,
    token,
    rendererDir: opts.rendererDir,
    port: opts.port,
  });
  allowedOrigin = transport.origin;
  return {
    url: `${transport.origin}/#token=${token}`,
    baseUrl: transport.origin,
    token,
    openLink: (url) => core.handleLink(url),
    async close() {
      await transport.close();
      await core.close();
    },
  };
}
