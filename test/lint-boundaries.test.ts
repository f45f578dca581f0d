import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The folder table of docs/architecture.md §1, checked by linting small snippets as if they lived
// in each folder. A rule that stopped firing would let a layering break land silently.
const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('import boundaries', () => {
  it.each([
    ['shared/x.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n"],
    ['shared/x.ts', "import { createHash } from 'crypto';\nexport const f = createHash;\n"],
    ['shared/x.ts', "import { a } from '../server/a';\nexport const f = a;\n"],
    ['shared/x.ts', "import { a } from '../main/a';\nexport const f = a;\n"],
    ['renderer/x.ts', "import { a } from '../server/a';\nexport const f = a;\n"],
    ['renderer/x.ts', "import { a } from '../main/a';\nexport const f = a;\n"],
    ['renderer/x.ts', "import { ipcRenderer } from 'electron';\nexport const f = ipcRenderer;\n"],
    ['main/sync.ts', "import { app } from 'electron';\nexport const f = app;\n"],
    ['main/sync.ts', "import { a } from '../server/a';\nexport const f = a;\n"],
    ['server/x.ts', "import { a } from '../main/a';\nexport const f = a;\n"],
    // Engines are server code like the rest: no exemption from the boundaries.
    ['server/engines/x.ts', "import { a } from '../../main/a';\nexport const f = a;\n"],
    ['server/engines/generate/x.ts', "import { app } from 'electron';\nexport const f = app;\n"],
  ])('%s may not: %s', async (file, code) => {
    expect(await ruleIds(file, code)).toContain('no-restricted-imports');
  });

  it.each([
    ['shared/x.ts', "import { quote } from './pricing/quote';\nexport const f = quote;\n"],
    ['server/x.ts', "import { quote } from '../shared/pricing/quote';\nexport const f = quote;\n"],
    ['main/electron/window.ts', "import { app } from 'electron';\nexport const f = app;\n"],
    [
      'renderer/x.ts',
      "import { quote } from '../shared/pricing/quote';\nexport const f = quote;\n",
    ],
  ])('%s may: %s', async (file, code) => {
    expect(await ruleIds(file, code)).not.toContain('no-restricted-imports');
  });

  it('keeps shared/ free of DOM and Node globals', async () => {
    expect(await ruleIds('shared/x.ts', 'export const f = () => process.env.X;\n')).toContain(
      'no-restricted-globals',
    );
    expect(await ruleIds('shared/x.ts', 'export const f = () => document.title;\n')).toContain(
      'no-restricted-globals',
    );
  });
});
