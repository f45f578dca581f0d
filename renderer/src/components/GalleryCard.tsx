import { returnedNote, useMayRefund, usePayingTeam } from './may-refund';
import { useState } from 'react';
import type { GalleryRow } from '../db/db';
import { useCatalog, useStores } from '../app/context';
import { downloadName } from '../studio/download-name';
import type { ResultItem } from '../studio/results';
import { creditsText, duration } from '../util/format';
import { useImageUrl } from './useImageUrl';

/** The tool that made an image, as the Studio's tabs name it. */
const TOOL_WORDS: Record<string, string> = {
  generate: 'Generated',
  filter: 'Filter',
  upscale: 'Upscale',
  cutout: 'Cutout',
  'face-enhance': 'Faces',
};

export function GalleryCard(props: {
  item: GalleryRow;
  /** The same image as the viewer shows it (its place in its run names the download). */
  result: ResultItem | null;
  now: number;
  onOpen: () => void;
  onReuse: () => void;
}) {
  const { jobs } = useStores();
  const { item, now } = props;
  const url = useImageUrl(item.sha256);
  const book = useCatalog((s) => s.priceBook)?.book;
  const [note, setNote] = useState<string | null>(null);
  const windowMs = (book?.refunds?.windowHours ?? 24) * 3_600_000;
  const left = Date.parse(item.createdAt) + windowMs - now;
  const mayDislike = useMayRefund(item.jobId);
  const payingTeam = usePayingTeam(item.jobId, item.teamId);
  const canDislike =
    mayDislike && item.tool === 'generate' && item.refundCredits > 0 && !item.disliked && left > 0;
  const toolWord = TOOL_WORDS[item.tool] ?? item.tool;
  const prompt = typeof item.params.prompt === 'string' ? item.params.prompt : toolWord;
  return (
    <li className="card" data-testid="gallery-item">
      <button
        type="button"
        className="thumb-button"
        onClick={props.onOpen}
        aria-label={`Open “${prompt}” in the viewer`}
      >
        {url ? <img src={url} alt="" className="thumb" /> : <span className="thumb placeholder" />}
      </button>
      <div className="card-body">
        <p className="card-title">{prompt}</p>
        <p className="muted">
          {item.width} × {item.height} · {toolWord}
        </p>
        <div className="row wrap">
          {url && (
            <a
              className="button secondary"
              href={url}
              download={props.result ? downloadName(props.result) : `easel-${item.itemId}.png`}
            >
              Download
            </a>
          )}
          <button type="button" className="secondary" onClick={props.onReuse}>
            Reuse as input
          </button>
          {canDislike && (
            <button
              type="button"
              className="secondary"
              onClick={async () => {
                const back = await jobs.getState().dislike(item.itemId);
                if (back !== null) setNote(returnedNote(back, payingTeam));
              }}
            >
              Dislike (+{creditsText(item.refundCredits)}, {duration(left)} left)
            </button>
          )}
        </div>
        {item.disliked && <p className="muted">Disliked{note ? ` · ${note}` : ''}</p>}
      </div>
    </li>
  );
}
