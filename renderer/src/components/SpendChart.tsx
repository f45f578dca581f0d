import { useEffect, useState } from 'react';
import { useLedger, useStores } from '../app/context';
import { readNewestUntil } from '../db/entry-pages';
import { dayKey } from '../util/format';
import { BarChart, type BarSeries } from './BarChart';

const SERIES: BarSeries[] = [
  { key: 'generate', label: 'Generate', tone: 'tone-1' },
  { key: 'filter', label: 'Filter', tone: 'tone-2' },
  { key: 'upscale', label: 'Upscale', tone: 'tone-3' },
  { key: 'cutout', label: 'Cutout', tone: 'tone-4' },
  { key: 'design', label: 'Designs', tone: 'tone-5' },
  { key: 'other', label: 'Other', tone: 'tone-6' },
];
const KNOWN = new Set(SERIES.map((s) => s.key));

function lastDays(n: number, now = Date.now()): string[] {
  return Array.from({ length: n }, (_, i) =>
    dayKey(new Date(now - (n - 1 - i) * 86_400_000).toISOString()),
  );
}

/** Credits spent per tool per day over the last 30 days, read newest-first from the cache. */
export function SpendChart() {
  const { db } = useStores();
  const head = useLedger((s) => s.headSeq);
  const [values, setValues] = useState(new Map<string, Map<string, number>>());
  useEffect(() => {
    let live = true;
    const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString();
    void readNewestUntil(db, (r) => r.at < cutoff).then((rows) => {
      const out = new Map<string, Map<string, number>>();
      for (const r of rows) {
        if (r.delta >= 0 || r.type === 'expire' || r.type === 'reversal' || r.at < cutoff) continue;
        const key = KNOWN.has(r.tool) ? r.tool : 'other';
        const day = out.get(dayKey(r.at)) ?? new Map<string, number>();
        day.set(key, (day.get(key) ?? 0) - r.delta);
        out.set(dayKey(r.at), day);
      }
      if (live) setValues(out);
    });
    return () => {
      live = false;
    };
  }, [db, head]);
  return (
    <BarChart
      title="Credits spent per day and tool, last 30 days"
      days={lastDays(30)}
      empty="No credits spent in the last 30 days"
      series={SERIES}
      values={values}
    />
  );
}
