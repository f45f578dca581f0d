import { returnedNote, useMayRefund, usePayingTeam } from './may-refund';
import { useState, type ReactNode } from 'react';
import { useCatalog, useJobs, useStores } from '../app/context';
import { downloadName } from '../studio/download-name';
import type { ResultItem } from '../studio/results';
import type { StudioTool } from '../stores/studio-store';
import { creditsText } from '../util/format';
import { useImageUrl } from './useImageUrl';

/** "23 h left", "40 min left": the dislike window, short enough for a chip. */
const hoursLeft = (ms: number): string =>
  ms >= 3_600_000
    ? `${Math.floor(ms / 3_600_000)} h left`
    : `${Math.max(1, Math.floor(ms / 60_000))} min left`;

/**
 * Marks the frame after a result is decoded and on screen (bench/suites/studio.bench.ts reads
 * it): decode() settles once the picture is ready to paint, the next frame paints it.
 */
function markPainted(img: HTMLImageElement, jobId: string): void {
  void img
    .decode()
    .catch(() => undefined)
    .then(() =>
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => performance.mark(`easel:result-painted:${jobId}`);
        ch.port2.postMessage(null);
      }),
    );
}

/**
 * One result: the picture (a button that opens the viewer) and what can be done with it —
 * download, upscale, cut out, filter, use as input, dislike while it can be refunded.
 */
export function ResultTile(props: {
  item: ResultItem;
  /** All images the viewer steps through from here, and this one's place among them. */
  items: ResultItem[];
  place: number;
  /** Shown instead of the picture (the before/after compare). */
  figure?: ReactNode;
  /** The first result of the current run: takes focus when the run ends. */
  autoFocusRef?: (el: HTMLButtonElement | null) => void;
}) {
  const { studio, jobs } = useStores();
  const { item } = props;
  const url = useImageUrl(item.sha256);
  const book = useCatalog((s) => s.priceBook)?.book;
  const disliked = useJobs((s) => s.gallery.find((r) => r.itemId === item.itemId)?.disliked);
  const [note, setNote] = useState<string | null>(null);
  const n = item.index + 1;
  const windowMs = (book?.refunds?.windowHours ?? 24) * 3_600_000;
  const left = Date.parse(item.createdAt) + windowMs - Date.now();
  const isDisliked = disliked === true || item.disliked || note !== null;
  const mayDislike = useMayRefund(item.jobId);
  const payingTeam = usePayingTeam(item.jobId);
  const canDislike =
    mayDislike && item.tool === 'generate' && item.refundCredits > 0 && !isDisliked && left > 0;
  const reuse = (tool?: StudioTool) => void studio.getState().reuse(item.sha256, tool);
  const open = () => studio.getState().openViewer(props.items, props.place);
  return (
    <li className="result-tile" data-testid="result-tile">
      {props.figure ?? (
        <button
          type="button"
          className="result-open"
          ref={props.autoFocusRef}
          onClick={open}
          aria-label={`Open image ${n} in the viewer`}
        >
          {url ? (
            <img
              src={url}
              alt={item.prompt ?? `${item.tool} result ${n}`}
              className="result-img"
              decoding="async"
              width={item.width}
              height={item.height}
              onLoad={
                item.index === 0 ? (e) => markPainted(e.currentTarget, item.jobId) : undefined
              }
            />
          ) : (
            <span className="result-img loading">Loading image {n}…</span>
          )}
        </button>
      )}
      <div className="result-actions" role="group" aria-label={`Image ${n}`}>
        {props.figure && (
          <button type="button" className="chip" onClick={open}>
            Open
          </button>
        )}
        {url && (
          <a className="chip" href={url} download={downloadName(item)}>
            Download
          </a>
        )}
        <button type="button" className="chip" onClick={() => reuse()}>
          Use as input
        </button>
        <button type="button" className="chip" onClick={() => reuse('upscale')}>
          Upscale
        </button>
        <button type="button" className="chip" onClick={() => reuse('cutout')}>
          Cutout
        </button>
        <button type="button" className="chip" onClick={() => reuse('filter')}>
          Filter
        </button>
        {canDislike && (
          <button
            type="button"
            className="chip"
            onClick={async () => {
              const back = await jobs.getState().dislike(item.itemId);
              if (back !== null) setNote(returnedNote(back, payingTeam));
            }}
          >
            Dislike (+{creditsText(item.refundCredits)}, {hoursLeft(left)})
          </button>
        )}
      </div>
      {isDisliked && <p className="muted small">Disliked{note ? ` · ${note}` : ''}</p>}
    </li>
  );
}
