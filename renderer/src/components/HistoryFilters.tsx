import type { HistoryFilter } from './history-data';

const TYPES = [
  'grant',
  'purchase',
  'spend',
  'hold',
  'capture',
  'release',
  'refund',
  'expire',
  'reversal',
  'reserve',
  'settle',
  'unreserve',
  'rejection',
];
const TOOLS = ['generate', 'filter', 'upscale', 'cutout', 'design', 'store'];

export function HistoryFilters(props: {
  value: HistoryFilter;
  kinds: string[];
  onChange: (f: HistoryFilter) => void;
}) {
  const f = props.value;
  const set = (patch: Partial<HistoryFilter>): void => props.onChange({ ...f, ...patch });
  return (
    <div className="filters" role="search">
      <label className="field">
        Search
        <input type="search" value={f.search} onChange={(e) => set({ search: e.target.value })} />
      </label>
      <label className="field">
        Type
        <select value={f.type} onChange={(e) => set({ type: e.target.value })}>
          <option value="">All types</option>
          {TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label className="field">
        Tool
        <select value={f.tool} onChange={(e) => set({ tool: e.target.value })}>
          <option value="">All tools</option>
          {TOOLS.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label className="field">
        Credit kind
        <select value={f.kind} onChange={(e) => set({ kind: e.target.value })}>
          <option value="">All kinds</option>
          {props.kinds.map((k) => (
            <option key={k}>{k}</option>
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
