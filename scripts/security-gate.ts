/**
 * The Electron security gate. Runs @doyensec/electronegativity over the built main process,
 * preload and renderer, reads its SARIF, and fails on any finding of medium severity or above
 * unless the source line (found through the bundle's source map) carries a justified
 * suppression: `// electronegativity-ignore: RULE_ID — why this is safe` on the line or the one
 * above. Electronegativity always exits 0, so this script is what makes CI fail.
 * Usage: `tsx scripts/security-gate.ts` after `npm run build`.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { z } from 'zod';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'out', 'security');
const BLOCKING = new Set(['MEDIUM', 'HIGH', 'CRITICAL']);

const Sarif = z.object({
  runs: z.array(
    z.object({
      results: z.array(
        z.object({
          ruleId: z.string(),
          message: z.object({ text: z.string() }),
          locations: z.array(
            z.object({
              physicalLocation: z.object({
                artifactLocation: z.object({ uri: z.string() }),
                region: z.object({ startLine: z.number(), startColumn: z.number().optional() }),
              }),
            }),
          ),
        }),
      ),
    }),
  ),
});

export interface Finding {
  ruleId: string;
  severity: string;
  file: string;
  line: number;
  message: string;
  source: { file: string; line: number } | null;
  suppression: string | null;
}

export function suppressionFor(sourceText: string, line: number, ruleId: string): string | null {
  const lines = sourceText.split('\n');
  for (const l of [lines[line - 1], lines[line - 2]]) {
    const m = l
      ? new RegExp(`electronegativity-ignore:\\s*${ruleId}\\s*[—-]\\s*(.{10,})`).exec(l)
      : null;
    if (m?.[1]) return m[1].trim();
  }
  return null;
}

function stage(): void {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // Electronegativity only reads .js files; the bundles are CommonJS named .cjs.
  for (const name of ['main', 'preload']) {
    const from = join(root, 'out', 'main', `${name}.cjs`);
    if (!existsSync(from)) throw new Error(`${from} is missing: run \`npm run build\` first`);
    copyFileSync(from, join(work, `${name}.js`));
  }
  cpSync(join(root, 'renderer', 'dist'), join(work, 'renderer'), { recursive: true });
}

const Issue = z.object({
  id: z.string(),
  file: z.string(),
  location: z.object({ line: z.number() }),
  severity: z.object({ name: z.string() }),
});

/** Runs electronegativity's own runner: it writes the SARIF and returns the same issues with severities. */
async function electronegativity(output: string): Promise<Map<string, string>> {
  const require = createRequire(import.meta.url);
  const i18n = require('@doyensec/electronegativity/dist/locales/i18n.js') as () => Promise<void>;
  const run = require('@doyensec/electronegativity/dist/runner.js') as (
    options: Record<string, unknown>,
    forCli: boolean,
  ) => Promise<{ issues: unknown[]; errors: unknown[] }>;
  await i18n();
  const result = await run(
    {
      input: work,
      output,
      isSarif: true,
      isRelative: true,
      isVerbose: false,
      electronVersionOverride: '45.4.1',
      parserPlugins: [],
    },
    false,
  );
  if (result.errors.length > 0)
    throw new Error(
      `electronegativity could not read some files: ${JSON.stringify(result.errors).slice(0, 500)}`,
    );
  const severities = new Map<string, string>();
  for (const raw of result.issues) {
    const issue = Issue.parse(raw);
    const file = relative(work, resolve(work, issue.file));
    severities.set(`${issue.id}@${file}:${issue.location.line}`, issue.severity.name);
  }
  return severities;
}

function isCompleteJson(path: string): boolean {
  try {
    JSON.parse(readFileSync(path, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

export async function runGate(): Promise<Finding[]> {
  stage();
  const sarifPath = join(root, 'out', 'electronegativity.sarif');
  // The SARIF names no severity; the runner's issues of the same run do.
  rmSync(sarifPath, { force: true });
  const severities = await electronegativity(sarifPath);
  // electronegativity writes the file without waiting for it; give it a moment to land.
  for (let i = 0; i < 100 && !isCompleteJson(sarifPath); i++)
    await new Promise((r) => setTimeout(r, 50));
  const maps = new Map<string, TraceMap>();
  const findings: Finding[] = [];
  for (const r of Sarif.parse(JSON.parse(readFileSync(sarifPath, 'utf8'))).runs.flatMap(
    (run) => run.results,
  )) {
    const loc = r.locations[0]?.physicalLocation;
    if (!loc) continue;
    const file = loc.artifactLocation.uri;
    const line = loc.region.startLine;
    const severity = severities.get(`${r.ruleId}@${file}:${line}`) ?? 'UNKNOWN';
    let source: Finding['source'] = null;
    const bundle = /^(main|preload)\.js$/.exec(file)?.[1];
    if (bundle) {
      const mapFile = join(root, 'out', 'main', `${bundle}.cjs.map`);
      if (!maps.has(mapFile) && existsSync(mapFile))
        maps.set(mapFile, new TraceMap(readFileSync(mapFile, 'utf8')));
      const map = maps.get(mapFile);
      const pos = map
        ? originalPositionFor(map, { line, column: loc.region.startColumn ?? 0 })
        : null;
      if (pos?.source && pos.line)
        source = { file: resolve(dirname(mapFile), pos.source), line: pos.line };
    } else if (file.startsWith('renderer/') && file.endsWith('.html')) {
      source = { file: join(root, file), line };
    }
    const suppression =
      source && existsSync(source.file)
        ? suppressionFor(readFileSync(source.file, 'utf8'), source.line, r.ruleId)
        : null;
    findings.push({
      ruleId: r.ruleId,
      severity,
      file,
      line,
      message: r.message.text,
      source,
      suppression,
    });
  }
  return findings;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const findings = await runGate();
  let blocking = 0;
  for (const f of findings) {
    const where = f.source
      ? `${f.source.file.replace(`${root}/`, '')}:${f.source.line}`
      : `${f.file}:${f.line}`;
    // A finding whose severity cannot be read counts as blocking: fail safe.
    const blocks = (BLOCKING.has(f.severity) || f.severity === 'UNKNOWN') && !f.suppression;
    if (blocks) blocking++;
    console.log(
      `${blocks ? 'FAIL' : f.suppression ? 'ok (suppressed)' : 'ok (below medium)'}  ${f.severity.padEnd(8)} ${f.ruleId}  ${where}${f.suppression ? `  — ${f.suppression}` : ''}`,
    );
  }
  console.log(
    `electronegativity: ${findings.length} findings, ${blocking} blocking (medium or above without a justified suppression)`,
  );
  process.exit(blocking > 0 ? 1 : 0);
}
