import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { EaselError } from '../../shared/ipc/contract';
import { JsonFile } from './json-file';

const Shape = z.strictObject({ n: z.int() });
const dirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const fileIn = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'easel-json-'));
  dirs.push(dir);
  return { dir, file: new JsonFile(join(dir, 'state.json'), Shape) };
};

describe('JsonFile', () => {
  it('fsyncs the new content and then its folder on every write', async () => {
    const { dir, file } = await fileIn();
    const probe = await open(join(dir, 'probe'), 'w');
    const handleProto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const synced: string[] = [];
    const real = handleProto.sync;
    vi.spyOn(handleProto, 'sync').mockImplementation(async function (this: { fd: number }) {
      const before = await readFile(file.path, 'utf8').catch(() => null);
      synced.push(before === null ? 'file (not yet renamed)' : `after rename: ${before}`);
      return real.call(this);
    });
    await file.write({ n: 1 });
    expect(synced).toEqual(['file (not yet renamed)', 'after rename: {"n":1}']);
    expect(await file.read()).toEqual({ n: 1 });
  });

  it('reports a corrupt file as unreadable and leaves it as it was', async () => {
    const { file } = await fileIn();
    await writeFile(file.path, '{"n": 1');
    const error = await file.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('device-state-unreadable');
    await writeFile(file.path, '{"n": "one"}');
    expect(((await file.read().catch((e: unknown) => e)) as EaselError).code).toBe(
      'device-state-unreadable',
    );
    expect(await readFile(file.path, 'utf8')).toBe('{"n": "one"}');
    const aside = await file.moveAside();
    expect(aside).toMatch(/state\.json\.unreadable-/);
    expect(await file.read()).toBeNull();
  });
});
