import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserHost } from '../main/browser-mode/host';
import { linkInArgs } from '../main/core/links';
import { readConfig } from '../server/config';
import { startServer } from '../server/start';
import { buildMain, outDir } from './build-main';
import { electronBinary } from './electron-binary';

/**
 * `npm start`: the embedded server (PGlite in the user's data folder) unless EASEL_SERVER_URL
 * points elsewhere, the renderer built if missing, then Electron when its binary is installed,
 * else browser mode at a printed local URL.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rendererDir = join(root, 'renderer', 'dist');
const appDataDir = process.env.EASEL_APP_DATA_DIR ?? join(homedir(), '.easel', 'app');

async function main() {
  let serverUrl = process.env.EASEL_SERVER_URL;
  let stopServer: (() => Promise<void>) | null = null;
  // The app may set the embedded server's image engine (Settings → Image engine): a secret made
  // for this launch, known only to this process and the app's main process.
  let operatorSecret: string | undefined;
  if (!serverUrl) {
    operatorSecret = randomBytes(32).toString('base64url');
    const server = await startServer(
      readConfig({ ...process.env, EASEL_LOG: process.env.EASEL_LOG ?? 'off' }),
      { operatorSecret },
    );
    serverUrl = server.url;
    stopServer = () => server.close();
    console.log(`easel: embedded server at ${serverUrl}`);
  }
  if (!existsSync(join(rendererDir, 'index.html'))) {
    console.log('easel: building the renderer…');
    const r = spawnSync('npm', ['run', 'build:renderer'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) console.warn('easel: the renderer build failed; the window will say so.');
  }

  const shutdown = async (close: () => Promise<void>) => {
    // Exiting anyway: the app's state is durable at every commit, nothing waits on these.
    await close().catch(() => undefined);
    await stopServer?.().catch(() => undefined);
    process.exit(0);
  };

  // An easel:// link on the command line (a team invite, docs/architecture.md §14): handed to
  // Electron's argv, where main reads it as a first launch's link, or to the browser-mode host.
  const link = linkInArgs(process.argv);
  const electron = electronBinary(root);
  if (electron) {
    await buildMain();
    const child = spawn(electron, [join(outDir, 'main.cjs'), ...(link ? [link] : [])], {
      stdio: 'inherit',
      env: {
        ...process.env,
        EASEL_SERVER_URL: serverUrl,
        EASEL_RENDERER_DIR: rendererDir,
        ...(operatorSecret ? { EASEL_OPERATOR_SECRET: operatorSecret } : {}),
      },
    });
    child.on('exit', () => void shutdown(async () => undefined));
    return;
  }
  const host = await startBrowserHost({
    serverUrl,
    dataDir: appDataDir,
    rendererDir,
    port: process.env.EASEL_BROWSER_PORT ? Number(process.env.EASEL_BROWSER_PORT) : undefined,
    operatorSecret,
  });
  console.log('easel: no Electron binary here, so Easel runs in browser mode.');
  console.log(`easel: open ${host.url}`);
  if (link) await host.openLink(link);
  process.on('SIGINT', () => void shutdown(() => host.close()));
  process.on('SIGTERM', () => void shutdown(() => host.close()));
}

await main();
