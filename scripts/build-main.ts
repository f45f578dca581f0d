import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Bundles the Electron main process and the sandboxed preload into out/main. The preload must
 * be one CommonJS file: a sandboxed preload can `require` only `electron`.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const outDir = join(root, 'out', 'main');

export async function buildMain(): Promise<void> {
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    format: 'cjs' as const,
    external: ['electron'],
    sourcemap: true,
    logLevel: 'warning' as const,
  };
  await build({
    ...common,
    entryPoints: [join(root, 'main/electron/preload.ts')],
    outfile: join(outDir, 'preload.cjs'),
  });
  await build({
    ...common,
    entryPoints: [join(root, 'main/electron/main.ts')],
    outfile: join(outDir, 'main.cjs'),
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildMain();
  console.log(`easel: built ${join(outDir, 'main.cjs')} and preload.cjs`);
}
