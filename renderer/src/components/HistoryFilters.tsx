import { ACTIVITY_WORDS, type ActivityKind, type ActivityStatus } from '../db/activities';
import type { HistoryFilter } from './history-data';

const KINDS = Object.entries(ACTIVITY_WORDS) as Array<[ActivityKind, string]>;
const STATUSES: ActivityStatus[] = [
  'pending',
  'charged',
  'refunded',
  'released',
  'credited',
  'expired',
  'reversed',
  'reserved',
  'returned',
  'refused',
  'adjusted',
];

export function HistoryFilters(props: {
  value: HistoryFilter;
  onChange: (f: HistoryFilter) => void;
}) {
  const f = props.value;
  const set = (patch: Partial<HistoryFilter>): void => props.onChange({ ...f, ...patch });
  return (
    <div className="filters" role="search">
      <label className="field">
        Search
        <input
          type="search"
          placeholder="Prompt, design or pack"
          value={f.search}
          onChange={(e) => set({ search: e.target.value })}
        />
      </label>
      <label className="field">
        Activity
        <select
          value={f.kind}
          onChange={(e) => set({ kind: e.target.value as HistoryFilter['kind'] })}
        >
          <option value="">All activities</option>
          {KINDS.map(([k, word]) => (
            <option key={k} value={k}>
              {word}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        Status
        <select
          value={f.status}
          onChange={(e) => set({ status: e.target.value as HistoryFilter['status'] })}
        >
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s[0]?.toUpperCase() + s.slice(1)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        From
        <input type="date" value={f.from} onChange={(e) => set({ from: e.target.value })} />
      </label>
      <label className="field">
        To
        <input type="date" value={f.to} onChange={(e) => set({ to: e.target.value })} />
      </label>
    </div>
  );
}
