import { credits, dateTime } from '../util/format';
import type { HistoryRow } from './history-data';

export function HistoryRowView(props: { row: HistoryRow | undefined; verified: boolean }) {
  const r = props.row;
  if (!r)
    return (
      <div role="cell" className="cell loading">
        Loading…
      </div>
    );
  const sign = r.delta > 0 ? '+' : r.delta < 0 ? '−' : '';
  return (
    <>
      <div role="cell" className="cell seq">
        #{r.seq}
      </div>
      <div role="cell" className="cell when">
        {r.at ? dateTime(r.at) : ''}
      </div>
      <div role="cell" className="cell what">
        {r.label}
      </div>
      <div
        role="cell"
        className={`cell amount ${r.delta > 0 ? 'plus' : r.delta < 0 ? 'minus' : ''}`}
      >
        {r.delta !== 0 ? `${sign}${credits(Math.abs(r.delta))}` : `(${credits(r.amount)})`} {r.kind}
      </div>
      <div role="cell" className={props.verified ? 'cell verified' : 'cell unverified'}>
        {props.verified ? '✓ Verified' : '✗ Unverified'}
      </div>
    </>
  );
}
