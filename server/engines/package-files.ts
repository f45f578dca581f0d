/**
 * Finds model files that ship inside npm packages. Engines never fetch anything at run time:
 * every weight file is read from node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EngineError } from './errors';

const require = createRequire(import.meta.url);
const roots = new Map<string, string>();

/** The folder of the installed package `name` (the one holding its package.json). */
function packageRoot(name: string): string {
  const known = roots.get(name);
  if (known) return known;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch (error) {
    throw new EngineError(
      'model-missing',
      `The package ${name} is not installed (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  let dir = dirname(entry);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        'name' in parsed &&
        parsed.name === name
      ) {
        roots.set(name, dir);
        return dir;
      }
    }
    const up = dirname(dir);
    if (up === dir)
      throw new EngineError('model-missing', `Could not find the folder of the package ${name}.`);
    dir = up;
  }
}

/** Absolute path of `relative` inside the package `name`; throws model-missing when absent. */
export function packageFile(name: string, relative: string): string {
  const path = join(packageRoot(name), relative);
  if (!existsSync(path))
    throw new EngineError(
      'model-missing',
      `The file ${relative} is missing from the package ${name}.`,
    );
  return path;
}
