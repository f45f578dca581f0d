import { useEffect, useRef, useState } from 'react';
import { downloadName } from '../studio/download-name';
import type { ResultItem } from '../studio/results';
import { TOOL_LABEL } from '../studio/results';
import { creditsText, dateTime } from '../util/format';
import { useImageUrl } from './useImageUrl';

const ZOOMS = [0.25, 0.5, 1, 2, 4];

/**
 * The full-size viewer (a modal dialog: Esc closes it): one image at a time, fitted or zoomed,
 * previous and next, with its prompt, seed, model and cost, and a download named from them.
 */
export function Viewer(props: {
  items: ResultItem[];
  index: number;
  onIndex: (index: number) => void;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [zoom, setZoom] = useState<'fit' | number>('fit');
  const item = props.items[props.index];
  const url = useImageUrl(item?.sha256 ?? null);
  const count = props.items.length;
  const go = (delta: number): void => {
    if (count < 2) return;
    props.onIndex((props.index + delta + count) % count);
    setZoom('fit');
  };
  const zoomBy = (dir: 1 | -1): void => {
    const now = zoom === 'fit' ? 1 : zoom;
    const next = dir > 0 ? ZOOMS.find((z) => z > now) : [...ZOOMS].reverse().find((z) => z < now);
    if (next) setZoom(next);
  };

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);

  if (!item) return null;
  const onKey = (e: React.KeyboardEvent): void => {
    if (e.target instanceof HTMLInputElement) return;
    if (e.key === 'ArrowRight') go(1);
    else if (e.key === 'ArrowLeft') go(-1);
    else if (e.key === '+' || e.key === '=') zoomBy(1);
    else if (e.key === '-') zoomBy(-1);
    else if (e.key === '0') setZoom('fit');
    else return;
    e.preventDefault();
  };
  return (
    <dialog
      ref={dialog}
      className="viewer"
      aria-labelledby="viewer-title"
      data-testid="viewer"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      onKeyDown={onKey}
    >
      <div className="viewer-bar">
        <h2 id="viewer-title" className="viewer-title">
          Image {props.index + 1} of {count}
        </h2>
        <div className="row wrap">
          <button type="button" className="secondary" onClick={() => go(-1)} disabled={count < 2}>
            ← Previous
          </button>
          <button type="button" className="secondary" onClick={() => go(1)} disabled={count < 2}>
            Next →
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => zoomBy(-1)}
            aria-label="Zoom out"
          >
            −
          </button>
          <span className="viewer-zoom" data-testid="viewer-zoom" aria-live="polite">
            {zoom === 'fit' ? 'Fit' : `${Math.round(zoom * 100)}%`}
          </span>
          <button
            type="button"
            className="secondary"
            onClick={() => zoomBy(1)}
            aria-label="Zoom in"
          >
            +
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => setZoom(zoom === 'fit' ? 1 : 'fit')}
          >
            {zoom === 'fit' ? 'Actual size' : 'Fit to window'}
          </button>
          {url && (
            <a
              className="button primary"
              href={url}
              download={downloadName(item)}
              data-testid="viewer-download"
            >
              Download
            </a>
          )}
          <button type="button" className="secondary" onClick={props.onClose}>
            Close
          </button>
        </div>
      </div>
      <div className="viewer-body">
        <div className={zoom === 'fit' ? 'viewer-stage fit' : 'viewer-stage'}>
          {url ? (
            <img
              src={url}
              alt={item.prompt ?? `${TOOL_LABEL[item.tool]} result`}
              data-testid="viewer-image"
              style={
                zoom === 'fit'
                  ? undefined
                  : { width: item.width * zoom, height: item.height * zoom }
              }
            />
          ) : (
            <p className="muted">Loading the image…</p>
          )}
        </div>
        <dl className="viewer-info">
          <dt>Prompt</dt>
          <dd data-testid="viewer-prompt">
            {item.prompt ?? `${TOOL_LABEL[item.tool]} of an image`}
          </dd>
          {item.seed !== null && (
            <>
              <dt>Seed</dt>
              <dd data-testid="viewer-seed">{item.seed}</dd>
            </>
          )}
          {item.model && (
            <>
              <dt>Model</dt>
              <dd>{item.model}</dd>
            </>
          )}
          <dt>Size</dt>
          <dd>
            {item.width} × {item.height}
          </dd>
          {item.credits !== null && (
            <>
              <dt>Cost</dt>
              <dd data-testid="viewer-cost">{creditsText(item.credits)}</dd>
            </>
          )}
          <dt>Made</dt>
          <dd>{dateTime(item.createdAt)}</dd>
          <dt>File name</dt>
          <dd className="small">{downloadName(item)}</dd>
        </dl>
      </div>
    </dialog>
  );
}
