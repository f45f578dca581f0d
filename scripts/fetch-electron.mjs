// Runs after `npm install`. Electron's own install script is denied in package.json
// (`allowScripts`) because it fails the whole install on machines that cannot reach the
// Electron download host. Here we try the same download ourselves, bounded in time, and
// treat failure as "no desktop binary": `npm start` then serves browser mode instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let installScript;
try {
  installScript = join(dirname(require.resolve('electron/package.json')), 'install.js');
} catch {
  process.exit(0); // production install without devDependencies
}
if (!existsSync(installScript) || process.env.EASEL_SKIP_ELECTRON_DOWNLOAD === '1') process.exit(0);

const result = spawnSync(process.execPath, [installScript], {
  stdio: ['ignore', 'ignore', 'pipe'],
  timeout: 120_000,
  encoding: 'utf8',
});
if (result.status === 0) {
  console.log('easel: Electron binary is installed; `npm start` opens the desktop app.');
} else {
  const firstLine = (result.stderr ?? '').split('\n').find((l) => l.trim() !== '') ?? 'timed out';
  console.log(
    `easel: Electron binary could not be downloaded (${firstLine.trim().slice(0, 160)}).\n` +
      'easel: this is fine: `npm start` serves the app in browser mode instead.',
  );
}
