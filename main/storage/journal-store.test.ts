import { spawnSync } from 'node:child_process';
import { type FileHandle, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EaselError } from '../../shared/ipc/contract';
import { createLogger } from '../../shared/log/logger';
import { JournalStore } from './journal-store';

const log = createLogger('off');
const dirs: string[] = [];
const freshDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'easel-journal-'));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** The journal's commit lines (the file is zero-filled ahead of them). */
const commitLines = async (dir: string) =>
  (await readFile(join(dir, 'journal.log'), 'utf8')).replace(/\0+$/, '').trim().split('\n');

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (error instanceof EaselError) return error.code;
    throw error;
  }
  return null;
};

describe('the device state journal', () => {
  it('keeps what a transaction committed, all records together, across a reopen', async () => {
    const dir = await freshDir();
    const store = await JournalStore.open(dir, { log });
    await store.transaction((tx) => {
      tx.put('voucher/1', { counter: 1 });
      tx.put('outbox/1', { op: 'settle-1' });
    });
    await store.transaction((tx) => tx.delete('outbox/1'));
    await store.close();
    const again = await JournalStore.open(dir, { log });
    expect(again.get('voucher/1')).toEqual({ counter: 1 });
    expect(again.get('outbox/1')).toBeUndefined();
    expect(again.keys('voucher/')).toEqual(['voucher/1']);
    // One line per transaction: the two records of the first went down in one write.
    const lines = await commitLines(dir);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('voucher/1');
    expect(lines[0]).toContain('outbox/1');
    await again.close();
  });

  it('flushes each commit to the disk before it resolves: one fdatasync, after its line', async () => {
    const dir = await freshDir();
    // What reaches the disk, in order: every file handle shares one prototype.
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const disk = { events: [] as string[] };
    for (const name of ['write', 'sync', 'datasync'] as const) {
      const original = proto[name] as (...args: unknown[]) => Promise<unknown>;
      vi.spyOn(proto, name).mockImplementation(function (this: FileHandle, ...args: unknown[]) {
        disk.events.push(name);
        return original.apply(this, args);
      } as FileHandle[typeof name]);
    }
    const store = await JournalStore.open(dir, { log });
    disk.events.length = 0;
    await store.transaction((tx) => {
      tx.put('voucher/1', { counter: 1 });
      tx.put('outbox/1', { op: 'settle-1' });
    });
    disk.events.push('resolved');
    await store.transaction((tx) => tx.get('voucher/1')); // reads only: nothing to flush
    disk.events.push('resolved');
    await store.transaction((tx) => tx.delete('outbox/1'));
    disk.events.push('resolved');
    vi.restoreAllMocks();
    expect(disk.events).toEqual([
      'write', // the first commit zero-fills the journal ahead (a megabyte)…
      'sync', // …and makes its size durable, once
      'write',
      'datasync',
      'resolved',
      'resolved',
      'write',
      'datasync',
      'resolved',
    ]);
    await store.close();
  });

  it('writes nothing when a transaction throws', async () => {
    const dir = await freshDir();
    const store = await JournalStore.open(dir, { log });
    await expect(
      store.transaction((tx) => {
        tx.put('a', 1);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(store.get('a')).toBeUndefined();
    await store.close();
    expect(await readFile(join(dir, 'journal.log'), 'utf8')).toBe('');
  });

  it('drops a commit cut short at the end (it never resolved) and keeps the rest', async () => {
    const dir = await freshDir();
    const store = await JournalStore.open(dir, { log });
    await store.transaction((tx) => tx.put('a', 1));
    await store.close();
    // The file is zero-filled ahead; a torn write lands where the next commit would go.
    const path = join(dir, 'journal.log');
    const bytes = await readFile(path);
    expect(bytes.length).toBeGreaterThanOrEqual(1_048_576);
    const next = bytes.indexOf(0);
    const handle = await open(path, 'r+');
    await handle.write(Buffer.from('3f2a {"seq":2,"put":{"a":'), 0, 25, next);
    await handle.close();
    const again = await JournalStore.open(dir, { log });
    expect(again.get('a')).toBe(1);
    await again.transaction((tx) => tx.put('b', 2)); // appends after the cut, not onto it
    await again.close();
    const third = await JournalStore.open(dir, { log });
    expect([third.get('a'), third.get('b')]).toEqual([1, 2]);
    await third.close();
  });

  it('refuses a changed byte in a commit, and salvages only the commits before it', async () => {
    const dir = await freshDir();
    const store = await JournalStore.open(dir, { log });
    await store.transaction((tx) => tx.put('a', { n: 1 }));
    await store.transaction((tx) => tx.put('b', { n: 2 }));
    await store.transaction((tx) => tx.put('c', { n: 3 }));
    await store.close();
    const path = join(dir, 'journal.log');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"b":{"n":2}', '"b":{"n":9}'));
    expect((await readFile(path)).length).toBe(Buffer.byteLength(text)); // only one byte changed
    expect(await codeOf(JournalStore.open(dir, { log }))).toBe('device-state-unreadable');
    // Refusing changed nothing on disk: the damaged journal is still there to inspect.
    expect(await readFile(path, 'utf8')).toContain('"b":{"n":9}');

    const salvaged = await JournalStore.open(dir, { log, salvage: true });
    expect(salvaged.salvaged).toMatchObject({ keptCommits: 1 });
    expect([salvaged.get('a'), salvaged.get('b'), salvaged.get('c')]).toEqual([
      { n: 1 },
      undefined,
      undefined,
    ]);
    expect((await readdir(dir)).some((f) => f.startsWith('journal.log.unreadable-'))).toBe(true);
    await salvaged.close();
    const after = await JournalStore.open(dir, { log }); // clean again
    expect(after.get('a')).toEqual({ n: 1 });
    await after.close();
  });

  it('refuses a damaged snapshot', async () => {
    const dir = await freshDir();
    const store = await JournalStore.open(dir, { log, compactBytes: 1 });
    await store.transaction((tx) => tx.put('a', 'x'));
    await store.close();
    const path = join(dir, 'snapshot.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"x"', '"y"'));
    expect(await codeOf(JournalStore.open(dir, { log }))).toBe('device-state-unreadable');
  });

  it('folds the journal into a snapshot; a crash before the journal is emptied loses nothing', async () => {
    const dir = await freshDir();
    const crash = new Error('killed while compacting');
    const store = await JournalStore.open(dir, {
      log,
      compactBytes: 300,
      onStep: (step) => {
        if (step === 'store:compacting') throw crash;
      },
    });
    await store.transaction((tx) => tx.put('gone', 'soon'));
    await store.transaction((tx) => tx.delete('gone'));
    await expect(store.transaction((tx) => tx.put('big', 'z'.repeat(400)))).rejects.toBe(crash);
    // The snapshot holds all three commits; the journal still holds them too.
    expect(await commitLines(dir)).toHaveLength(3);
    await store.close();
    const again = await JournalStore.open(dir, { log });
    expect(again.get('gone')).toBeUndefined();
    expect(again.get('big')).toBe('z'.repeat(400));
    await again.transaction((tx) => tx.put('next', 1));
    await again.close();
    const third = await JournalStore.open(dir, { log });
    expect(third.get('next')).toBe(1);
    expect(third.get('gone')).toBeUndefined();
    await third.close();
  });

  it('lets one writer in: a second open is refused, a dead process’s lock is taken over', async () => {
    const dir = await freshDir();
    const store = await JournalStore.open(dir, { log });
    expect(await codeOf(JournalStore.open(dir, { log }))).toBe('device-state-locked');
    await store.close();
    // A process that held the lock and died.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(join(dir, 'LOCK'), dead.stdout.toString());
    const again = await JournalStore.open(dir, { log });
    await again.close();
  });
});
