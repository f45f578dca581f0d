import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsPatch } from '../../shared/ipc/types';
import { SettingsStore } from './settings';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const noProblems = { report: () => undefined, clear: () => undefined };

describe('settings: theme and the returning user', () => {
  it('reads a file written before the theme existed, as "system"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'easel-settings-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify({
        serverUrl: 'http://127.0.0.1:1',
        allowanceAmount: 50,
        allowanceDays: 3,
        galleryDir: '/tmp/g',
      }),
    );
    const s = new SettingsStore(dir, 'http://127.0.0.1:2', noProblems);
    expect(await s.load()).toMatchObject({
      allowanceAmount: 50,
      theme: 'system',
      returningUser: false,
    });
  });

  it('keeps the chosen theme across a restart, and a patch changes only what it names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'easel-settings-'));
    dirs.push(dir);
    const s = new SettingsStore(dir, 'http://127.0.0.1:2', noProblems);
    await s.load();
    await s.update(SettingsPatch.parse({ theme: 'dark' }));
    await s.update(SettingsPatch.parse({ allowanceDays: 9 }));
    const again = new SettingsStore(dir, 'http://127.0.0.1:2', noProblems);
    expect(await again.load()).toMatchObject({ theme: 'dark', allowanceDays: 9 });
    expect(SettingsPatch.parse({})).toEqual({});
    expect(SettingsPatch.safeParse({ theme: 'sepia' }).success).toBe(false);
  });
});
