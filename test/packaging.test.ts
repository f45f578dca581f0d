import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listPackage } from '@electron/asar';
import { getCurrentFuseWire } from '@electron/fuses';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Reads what `electron-builder --linux dir` packed (with a stand-in Electron binary, see
 * scripts/package-linux-dir.ts): the asar holds the preload and renderer and nothing of
 * server/ or test/, the fuses were flipped, and the update feed and protocol are configured.
 */
const root = process.cwd();
const unpacked = join(root, 'dist', 'packages', 'linux-unpacked');
const asar = join(unpacked, 'resources', 'app.asar');

describe('packaged desktop app', () => {
  beforeAll(() => {
    // CI packages before testing; build here when run alone or when the bundles are newer.
    const bundle = join(root, 'out', 'main', 'main.cjs');
    if (
      !existsSync(asar) ||
      !existsSync(bundle) ||
      statSync(bundle).mtimeMs > statSync(asar).mtimeMs
    ) {
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/package-linux-dir.ts'], {
        cwd: root,
        stdio: 'ignore',
      });
    }
  }, 600_000);

  it('packs the bundled main process, the preload and the renderer, and nothing else', () => {
    const files = listPackage(asar, { isPack: false }).map((f) => f.replace(/\\/g, '/'));
    expect(files).toContain('/out/main/main.cjs');
    expect(files).toContain('/out/main/preload.cjs');
    expect(files).toContain('/renderer/dist/index.html');
    expect(files.some((f) => /^\/renderer\/dist\/assets\/.+\.js$/.test(f))).toBe(true);
    for (const f of files) {
      expect(f, f).not.toMatch(/^\/(server|test|bench|shared|main)\//);
      expect(f, f).not.toMatch(/\.map$|\.test\.|\.ts$/);
      expect(f, f).not.toMatch(
        /node_modules\/(pg|@electric-sql|sharp|onnxruntime|@tensorflow|stripe|fastify)/,
      );
    }
    const size = statSync(asar).size;
    console.log(`app.asar: ${files.length} entries, ${(size / 1024 / 1024).toFixed(2)} MiB`);
    expect(size).toBeLessThan(20 * 1024 * 1024);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe('easel');
  });

  it('flipped the Electron fuses in the packaged executable', async () => {
    const wire = await getCurrentFuseWire(join(unpacked, 'easel'));
    // 48 = disabled, 49 = enabled (FuseV1Options order).
    expect(wire).toMatchObject({ 0: 48, 1: 49, 2: 48, 3: 48, 4: 49, 5: 49 });
  });

  it('configures the update feed, the easel:// protocol and the installers for every platform', () => {
    expect(readFileSync(join(unpacked, 'resources', 'app-update.yml'), 'utf8')).toMatch(
      /provider: generic/,
    );
    const config = load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as {
      protocols: Array<{ schemes: string[] }>;
      linux: { target: string[] };
      mac: { target: string[] };
      win: { target: string[] };
      publish: { provider: string; url: string };
    };
    expect(config.protocols.flatMap((p) => p.schemes)).toContain('easel');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg', 'zip']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.publish).toEqual({
      provider: 'generic',
      url: '${env.EASEL_UPDATE_URL}',
      channel: 'latest',
    });
  });
});
