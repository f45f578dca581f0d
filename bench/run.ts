import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEmbeddedPostgres } from '../test/support/postgres';
import { type Benchmark, ratioOf } from './harness';

/** `npm run bench` runs every benchmark; `npm run bench -- --only <id>[,<id>…]` runs those. */
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;

// The PostgreSQL benchmarks use DATABASE_URL_TEST, or an embedded PostgreSQL started here.
const embeddedPostgres = process.env.DATABASE_URL_TEST ? null : await startEmbeddedPostgres();
if (embeddedPostgres) process.env.DATABASE_URL_TEST = embeddedPostgres.url;

const suiteDir = join(here, 'suites');
const all: Benchmark[] = [];
for (const file of readdirSync(suiteDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()) {
  const mod = (await import(pathToFileURL(join(suiteDir, file)).href)) as {
    benchmarks?: Benchmark[];
  };
  all.push(...(mod.benchmarks ?? []));
}
const wanted = only?.split(',').filter(Boolean) ?? [];
const unknown = wanted.filter((id) => !all.some((b) => b.id === id));
if (only !== undefined && (wanted.length === 0 || unknown.length > 0)) {
  console.error(
    `no benchmark "${unknown.join(', ') || only}"; known: ${all.map((b) => b.id).join(', ')}`,
  );
  process.exit(2);
}
const chosen = wanted.length > 0 ? all.filter((b) => wanted.includes(b.id)) : all;

const rows: string[] = [];
let failed = false;
for (const bench of chosen) {
  try {
    const r = await bench.run();
    const ratio = Math.round(ratioOf(r) * 100) / 100;
    const value = Math.round(r.value * 1000) / 1000;
    console.log(
      JSON.stringify({
        id: bench.id,
        value,
        unit: r.unit,
        baseline: Math.round(r.baseline * 1000) / 1000,
        ratio,
      }),
    );
    // Details go to stderr so stdout stays one JSON line per benchmark.
    if (r.extra) console.error(`  ${bench.id}: ${JSON.stringify(r.extra)}`);
    const extra = r.extra
      ? Object.entries(r.extra)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ')
      : '';
    rows.push(
      `| \`${bench.id}\` | ${bench.title} | ${value} ${r.unit} | ${Math.round(r.baseline * 1000) / 1000} ${r.unit} | ${ratio}× | ${r.note}${extra ? ` (${extra})` : ''} |`,
    );
  } catch (error) {
    failed = true;
    console.log(
      JSON.stringify({
        id: bench.id,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    rows.push(
      `| \`${bench.id}\` | ${bench.title} | failed | | | ${error instanceof Error ? error.message : String(error)} |`,
    );
  }
}

if (!only) {
  const report = [
    '# Benchmark report',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()} (Node ${process.version}, ${process.platform}/${process.arch}).`,
    'Ratio: how many times better than the baseline (above 1 is better).',
    '',
    '| id | what | value | baseline | ratio | baseline and target |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(join(here, 'REPORT.md'), report);
}
await embeddedPostgres?.stop();
process.exit(failed ? 1 : 0);
