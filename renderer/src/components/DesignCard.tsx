import { useMemo } from 'react';
import type { DesignRow } from '../db/db';
import { creditWord, credits } from '../util/format';

export function DesignCard(props: {
  design: DesignRow;
  busy: boolean;
  offline: boolean;
  offlineLeft: number | null;
  pending: boolean;
  onRedeem: () => void;
}) {
  const { design: d } = props;
  // An SVG shown through <img> cannot run script: safe for a server-supplied preview.
  const src = useMemo(
    () => URL.createObjectURL(new Blob([d.previewSvg], { type: 'image/svg+xml' })),
    [d.previewSvg],
  );
  const tooMuchOffline = props.offline && (props.offlineLeft ?? 0) < d.credits;
  return (
    <li className="card" data-testid={`design-${d.designId}`}>
      <img src={src} alt={`Preview of ${d.title}`} className="thumb" />
      <div className="card-body">
        <p className="card-title">{d.title}</p>
        <p className="muted">{d.description}</p>
        <p>
          <strong>{credits(d.credits)}</strong> {creditWord(d.credits)}
        </p>
        {d.owned ? (
          <p className="owned">
            {props.pending ? 'Owned · settles when back online' : 'Owned · available offline'}
          </p>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={props.busy || tooMuchOffline}
            onClick={props.onRedeem}
          >
            {props.offline
              ? `Redeem offline (${credits(d.credits)})`
              : `Redeem for ${credits(d.credits)}`}
          </button>
        )}
        {tooMuchOffline && !d.owned && (
          <p className="hint">More than your offline allowance left.</p>
        )}
      </div>
    </li>
  );
}
