import type { BucketView } from '../../../shared/wallet/types';
import { dayKey } from '../util/format';
import { BarChart } from './BarChart';

/** Credits that will expire per day over the next 30 days, today and the 30th day included. */
export function ExpiryChart(props: { buckets: BucketView[] }) {
  const now = Date.now();
  const days = Array.from({ length: 31 }, (_, i) =>
    dayKey(new Date(now + i * 86_400_000).toISOString()),
  );
  const values = new Map<string, Map<string, number>>();
  for (const b of props.buckets) {
    if (!b.expiresAt || !b.live) continue;
    const key = dayKey(b.expiresAt);
    const day = values.get(key) ?? new Map<string, number>();
    day.set('expiring', (day.get('expiring') ?? 0) + b.remaining - b.held);
    values.set(key, day);
  }
  return (
    <BarChart
      title="Credits expiring per day, next 30 days"
      days={days}
      empty="No credits expire in the next 30 days"
      series={[{ key: 'expiring', label: 'Expiring', tone: 'tone-4' }]}
      values={values}
    />
  );
}
