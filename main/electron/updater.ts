import { app } from 'electron';
import electronUpdater from 'electron-updater';

/**
 * Auto-update from a generic feed: the URL is baked into app-update.yml at packaging time from
 * EASEL_UPDATE_URL, and EASEL_UPDATE_URL at run time overrides it. Only packaged builds update;
 * a failed check is logged and never stops the app.
 */
export function startAutoUpdate(log: (message: string) => void): void {
  if (!app.isPackaged) return;
  const { autoUpdater } = electronUpdater;
  const feed = process.env.EASEL_UPDATE_URL;
  if (feed?.startsWith('https://')) autoUpdater.setFeedURL({ provider: 'generic', url: feed });
  autoUpdater.autoDownload = true;
  autoUpdater.on('error', (error: Error) => log(`update check failed: ${error.message}`));
  autoUpdater
    .checkForUpdatesAndNotify()
    .catch((error: unknown) => log(`update check failed: ${String(error)}`));
}
