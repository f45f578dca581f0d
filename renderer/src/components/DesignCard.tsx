import { useMemo } from 'react';
import type { DesignRow } from '../db/db';
import { creditWord, credits, creditsText } from '../util/format';

export function DesignCard(props: {
  design: DesignRow;
  busy: boolean;
  offline: boolean;
  /** What this design may take now: the balance online, the allowance left offline. */
  canSpend: number;
  pending: boolean;
  onRedeem: () => void;
  onTopUp: () => void;
  onDownload: () => void;
  onUseAsInput: () => void;
}) {
  const { design: d } = props;
  // An SVG shown through <img> cannot run script: safe for a server-supplied preview.
  const src = useMemo(
    () => URL.createObjectURL(new Blob([d.previewSvg], { type: 'image/svg+xml' })),
    [d.previewSvg],
  );
  const short = d.credits - props.canSpend;
  const hintId = `design-hint-${d.designId}`;
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
          <>
            <p className="owned">
              {props.pending ? 'Owned · settles when back online' : 'Owned · available offline'}
            </p>
            <div className="design-actions">
              <button type="button" className="secondary" onClick={props.onDownload}>
                Download
              </button>
              <button type="button" className="secondary" onClick={props.onUseAsInput}>
                Use as input
              </button>
            </div>
          </>
        ) : (
          <>
            <button
              type="button"
              className="primary"
              disabled={props.busy || short > 0}
              aria-describedby={short > 0 ? hintId : undefined}
              onClick={props.onRedeem}
            >
              {props.offline
                ? `Redeem offline (${credits(d.credits)})`
                : `Redeem for ${credits(d.credits)}`}
            </button>
            {short > 0 && (
              <p className="hint" id={hintId}>
                {props.offline
                  ? `More than your offline allowance left: ${creditsText(short)} short.`
                  : `You need ${creditsText(short)} more.`}{' '}
                {!props.offline && (
                  <button type="button" className="link" onClick={props.onTopUp}>
                    Top up in the Store
                  </button>
                )}
              </p>
            )}
          </>
        )}
      </div>
    </li>
  );
}
