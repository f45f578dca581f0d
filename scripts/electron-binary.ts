import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Electron binary: `ELECTRON_PATH` when set, else the one the `electron` package installed,
 * found without calling require('electron') (which tries to download it when missing). Mirrors
 * electron/index.js: path.txt names the executable inside dist/. null when there is none.
 */
export function electronBinary(root: string): string | null {
  const fromEnv = process.env.ELECTRON_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const exe = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}
