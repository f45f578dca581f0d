/**
 * Benchmark contract. Each suite file in bench/suites exports `benchmarks`. A result's `ratio`
 * says how many times better than its baseline the value is (above 1 is better) for times and
 * throughputs alike, so `better` tells which direction is good.
 */
export interface BenchResult {
  value: number;
  unit: string;
  baseline: number;
  /** Filled in by the runner from value, baseline and `better`. */
  better: 'lower' | 'higher';
  /** What the baseline is, and the target, for the report. */
  note: string;
  /** Extra numbers worth reporting (e.g. peak RSS, the verification-only time). */
  extra?: Record<string, number | string>;
}

export interface Benchmark {
  id: string;
  title: string;
  run(): Promise<BenchResult>;
}

export function ratioOf(r: BenchResult): number {
  if (r.value === 0 || r.baseline === 0) return 0;
  return r.better === 'lower' ? r.baseline / r.value : r.value / r.baseline;
}

/** Median of `samples` timings (ms) of `fn`, after `warmup` untimed calls. */
export async function medianMs(fn: () => unknown, samples = 7, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
