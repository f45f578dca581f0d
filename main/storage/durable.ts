import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Makes a folder's entries (a created, renamed or removed file) durable: fsync on the folder
 * itself. Windows cannot open a folder for syncing; NTFS journals renames itself, so nothing
 * is lost by skipping it there.
 */
export async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` so that after a crash or a power loss the file holds the old or
 * the new content, never a mix: write a sibling, fsync it, rename it over, fsync the folder.
 */
export async function replaceFileDurably(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncFolder(dirname(path));
}

/**
 * Moves a file out of the way, keeping it for inspection (never deleted), and returns where it
 * went: an unreadable file when the user re-syncs, an imported one after an upgrade
 * (docs/architecture.md §10).
 */
export async function moveAside(
  path: string,
  label: 'unreadable' | 'imported' = 'unreadable',
  now: Date = new Date(),
): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const target = `${path}.${label}-${stamp}`;
  await rename(path, target);
  await syncFolder(dirname(path));
  return target;
}
