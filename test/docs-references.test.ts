import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Comments point at docs/architecture.md sections, never outside the repository: every such
// reference must name a section that exists, and nothing may cite a design file the repository
// does not hold.
const root = join(import.meta.dirname, '..');
const folders = ['shared', 'server', 'main', 'renderer', 'test', 'bench', 'scripts'];
const skip = new Set(['node_modules', 'dist', 'out']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx|mjs|js|md)$/.test(name) ? [path] : [];
  });
}

const files = [...folders.flatMap((f) => sources(join(root, f))), join(root, 'eslint.config.js')];
const sections = new Set(
  [...readFileSync(join(root, 'docs', 'architecture.md'), 'utf8').matchAll(/^## §(\d+) /gm)].map(
    (m) => Number(m[1]),
  ),
);

describe('design references', () => {
  it('every docs/architecture.md §N named in the code is a section of it', () => {
    const broken: string[] = [];
    let found = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/docs\/architecture\.md §(\d+)(?: and §(\d+))?/g)) {
        found++;
        for (const n of [m[1], m[2]].filter(Boolean).map(Number)) {
          if (!sections.has(n)) broken.push(`${relative(root, file)}: §${n}`);
        }
      }
    }
    expect(found).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });

  it('nothing cites a design file outside the repository', () => {
    const outside = files
      .filter((file) => file !== join(root, 'test', 'docs-references.test.ts'))
      .filter((file) => /DESIGN(\.md)?\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(outside).toEqual([]);
  });
});
