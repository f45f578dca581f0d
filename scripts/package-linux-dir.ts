/**
 * Builds the unpacked Linux app with electron-builder. The real Electron binary cannot be
 * downloaded here (docs/architecture.md §13), so `electronDist` points at a stand-in folder whose
 * executable carries Electron's fuse wire (sentinel, version 1, the 8 fuses at Electron's
 * defaults). electron-builder then flips the fuses exactly as it would in the real binary,
 * and the packaging test reads them back. Usage: `tsx scripts/package-linux-dir.ts`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const standIn = join(root, 'out', 'electron-standin');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Electron's defaults: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on,
// asar integrity off, only-load-from-asar off, browser V8 snapshot off, file:// privileges on.
const DEFAULT_WIRE = '10110001';

export function writeStandInElectron(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const script = Buffer.from(
    '#!/bin/sh\necho "stand-in for the Electron binary (cannot be downloaded here)"\nexit 0\n# ',
  );
  const wire = Buffer.concat([
    Buffer.from(SENTINEL),
    Buffer.from([1, DEFAULT_WIRE.length]),
    Buffer.from(DEFAULT_WIRE),
    Buffer.from('\n'),
  ]);
  const exe = join(dir, 'electron');
  writeFileSync(exe, Buffer.concat([script, wire]));
  chmodSync(exe, 0o755);
  writeFileSync(join(dir, 'version'), '45.4.1');
  writeFileSync(join(dir, 'LICENSE'), 'MIT (stand-in)\n');
  return exe;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const run = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        EASEL_UPDATE_URL: process.env.EASEL_UPDATE_URL ?? 'https://updates.easel.invalid/linux',
      },
    });
  run('npm', ['run', '-s', 'build']);
  writeStandInElectron(standIn);
  run('npx', [
    'electron-builder',
    '--linux',
    'dir',
    '--publish',
    'never',
    `-c.electronDist=${standIn}`,
  ]);
}
