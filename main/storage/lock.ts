import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { easelError } from '../core/errors';
import { isMissing } from './json-file';

const LOCK = 'LOCK';
/** Folders this process holds: a second open in the same process is refused too. */
const held = new Set<string>();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: unknown }).code === 'EPERM';
  }
};

/**
 * One writer per device state folder: two writers would each number vouchers from the same
 * counter. The lock names its process; a lock left by a process that died (a crash, a kill) is
 * taken over.
 */
export async function takeLock(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  if (held.has(dir)) throw locked(dir, process.pid);
  try {
    await writeFile(path, String(process.pid), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    // An unreadable lock names nobody alive: it is taken over like a dead process's.
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) throw locked(dir, owner);
    await writeFile(path, String(process.pid), { mode: 0o600 });
  }
  held.add(dir);
}

export async function releaseLock(dir: string): Promise<void> {
  held.delete(dir);
  await unlink(join(dir, LOCK)).catch((error: unknown) => {
    if (!isMissing(error)) throw error;
  });
}

const locked = (dir: string, pid: number) =>
  easelError(
    'device-state-locked',
    `Another Easel (process ${pid}) is using the device state in ${dir}. Close it and try again.`,
    { path: dir },
  );
