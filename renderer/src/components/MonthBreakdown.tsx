import { useEffect, useState } from 'react';
import { useLedger, useStores } from '../app/context';
import { ACTIVITY_WORDS, type ActivityKind } from '../db/activities';
import { readActivitiesSince } from '../db/activity-pages';
import { creditsText } from '../util/format';

/** The first instant of the current calendar month, local time, as ISO. */
const monthStart = (now = new Date()): string =>
  new Date(now.getFullYear(), now.getMonth(), 1).toISOString();

/** "Where my credits went this month": spending per activity kind, from History's activities. */
export function MonthBreakdown() {
  const { db } = useStores();
  const count = useLedger((s) => s.activities);
  const [rows, setRows] = useState<Array<[ActivityKind, number]> | null>(null);
  useEffect(() => {
    let live = true;
    void readActivitiesSince(db, monthStart()).then((list) => {
      const spent = new Map<ActivityKind, number>();
      for (const a of list)
        if (a.credits < 0 && a.status !== 'pending')
          spent.set(a.kind, (spent.get(a.kind) ?? 0) - a.credits);
      if (live) setRows([...spent.entries()].sort((a, b) => b[1] - a[1]));
    });
    return () => {
      live = false;
    };
  }, [db, count]);
  const total = (rows ?? []).reduce((t, [, v]) => t + v, 0);
  const month = new Date().toLocaleString('en-US', { month: 'long' });
  return (
    <section className="panel" aria-labelledby="month-title">
      <h2 id="month-title">Where your credits went in {month}</h2>
      {rows === null ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted">You have not spent any credits this month.</p>
      ) : (
        <ul className="breakdown" data-testid="month-breakdown">
          {rows.map(([kind, v]) => (
            <li key={kind}>
              <span className="breakdown-label">{ACTIVITY_WORDS[kind]}</span>
              <span className="breakdown-bar" aria-hidden="true">
                <span style={{ width: `${Math.round((v / total) * 100)}%` }} />
              </span>
              <span className="breakdown-value">
                {creditsText(v)} ({Math.round((v / total) * 100)}%)
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
