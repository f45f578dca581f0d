import type { Session, WebContents } from 'electron';
import { rendererCsp } from '../browser-mode/csp';
import { isAllowedExternalUrl } from '../core/external-url';
import { APP_ORIGIN } from './app-origin';

const isAppUrl = (raw: string): boolean => {
  try {
    return new URL(raw).origin === APP_ORIGIN || raw.startsWith(`${APP_ORIGIN}/`);
  } catch {
    return false;
  }
};

/** Session-wide: deny every permission, and put our CSP on everything the window loads. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [rendererCsp] },
    });
  });
}

/** Per window: no navigation away, no new windows (allow-listed links go to the system browser). */
export function hardenContents(
  contents: WebContents,
  openExternal: (url: string) => void,
  serverUrl: () => string,
): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url, serverUrl())) openExternal(url);
    return { action: 'deny' };
  });
}
