import { useEffect, useMemo, useRef } from 'react';
import type { JobView } from '../../../shared/ipc/types';
import { useCatalog, useStores, useStudio } from '../app/context';
import { itemsOfJob, progressText, promptOf, TOOL_LABEL } from '../studio/results';
import { useWalletJobs } from '../studio/wallet-runs';
import { creditsText } from '../util/format';
import { CompareSlider } from './CompareSlider';
import { ResultTile } from './ResultTile';
import { useImageUrl } from './useImageUrl';

const ACTIVE = new Set(['queued', 'running']);

const endNote: Partial<Record<JobView['state'], string>> = {
  cancelled: 'You cancelled this run; its credits are back in your wallet.',
  discarded: 'You discarded this cutout; nothing was charged.',
  expired: 'This cutout was not confirmed in time; nothing was charged.',
};

/** The newest run of this window, else the newest of all (of the wallet chosen in the top bar). */
export function useCurrentJob(): JobView | null {
  const currentId = useStudio((s) => s.currentJobId);
  const jobs = useWalletJobs();
  return useMemo(() => {
    if (currentId && jobs[currentId]) return jobs[currentId];
    const list = Object.values(jobs).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return list[0] ?? null;
  }, [currentId, jobs]);
}

/**
 * The result area (results first): the current run's images as they arrive — preview frames
 * while the engine works, then the results with what can be done with each; for filter,
 * upscale and cutout the input beside the result in a before/after compare.
 */
export function ResultPanel() {
  const { jobs } = useStores();
  const job = useCurrentJob();
  const book = useCatalog((s) => s.priceBook)?.book ?? null;
  const previews = useStudio((s) => (job ? s.previews[job.jobId] : undefined));
  const before = useStudio((s) => (job ? s.beforeOf[job.jobId] : undefined));
  const focusResult = useStudio((s) => s.focusResult);
  const runningSince = useStudio((s) => (job ? s.runningSince[job.jobId] : undefined));
  const section = useRef<HTMLElement>(null);
  const firstResult = useRef<HTMLButtonElement | null>(null);
  const items = useMemo(() => (job ? itemsOfJob(job, book) : []), [job, book]);
  const firstUrl = useImageUrl(items[0]?.sha256 ?? null);

  // When a run starts, focus goes to the result area; when it ends, to its first image, unless
  // the user has meanwhile gone on to something else (typing the next prompt, another control).
  useEffect(() => {
    if (focusResult.n === 0) return;
    const active = document.activeElement;
    const idle =
      active === null ||
      active === document.body ||
      (section.current !== null && section.current.contains(active));
    if (!focusResult.force && !idle) return;
    (firstResult.current ?? section.current)?.focus();
  }, [focusResult]);

  if (!job)
    return (
      <section
        className="panel result empty"
        aria-labelledby="result-title"
        ref={section}
        tabIndex={-1}
      >
        <h2 id="result-title">Result</h2>
        <p className="muted">
          Your images appear here as they are made. Write a prompt and press Generate, or drop an
          image anywhere in the Studio to start from it.
        </p>
      </section>
    );

  const active = ACTIVE.has(job.state);
  const isGenerate = job.tool === 'generate';
  const slots = isGenerate
    ? Math.max(job.outputs.length, active ? Number(job.params.count) || 1 : job.outputs.length)
    : 1;
  const title = promptOf(job.params) ?? `${TOOL_LABEL[job.tool]}`;
  const afterAlt = `${TOOL_LABEL[job.tool]} result`;
  const first = items[0];

  return (
    <section
      className="panel result"
      aria-labelledby="result-title"
      ref={section}
      tabIndex={-1}
      data-testid={`job-${job.state}`}
      data-job={job.jobId}
    >
      <div className="result-head">
        <h2 id="result-title" className="result-title">
          {title}
        </h2>
        <span className={`state state-${job.state}`}>{job.state.replace('-', ' ')}</span>
      </div>
      {active && (
        <div className="result-progress" aria-live="polite">
          <progress max={1} value={job.progress} aria-label="Progress of this run" />
          <span data-testid="result-progress">{progressText(job, runningSince)}</span>
        </div>
      )}
      {job.error && (
        <p className="error" role="alert">
          This run did not finish: {job.error.replace(/\.$/, '')}. Its credits are back in your
          wallet.
        </p>
      )}
      {endNote[job.state] && <p className="muted">{endNote[job.state]}</p>}
      {job.state === 'awaiting-confirm' && (
        <div className="confirm">
          <p>Keep this cutout? Confirm takes {creditsText(job.heldCredits)}; discard is free.</p>
          <div className="row">
            <button
              type="button"
              className="primary"
              onClick={() => void jobs.getState().confirm(job.jobId)}
            >
              Confirm ({creditsText(job.heldCredits)})
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => void jobs.getState().discard(job.jobId)}
            >
              Discard (free)
            </button>
          </div>
        </div>
      )}

      {isGenerate ? (
        <ul className={`result-grid n${Math.min(slots, 4)}`}>
          {Array.from({ length: slots }, (_, i) => {
            const item = items[i];
            if (item)
              return (
                <ResultTile
                  key={item.key}
                  item={item}
                  items={items}
                  place={i}
                  autoFocusRef={
                    i === 0
                      ? (el) => {
                          firstResult.current = el;
                        }
                      : undefined
                  }
                />
              );
            const frame = previews?.[i];
            return (
              <li key={`slot-${i}`} className="result-tile pending">
                {frame ? (
                  <img
                    src={frame}
                    alt={`Preview of image ${i + 1}, still being made`}
                    className="result-img preview-frame"
                  />
                ) : (
                  <div className="result-img placeholder">
                    {active ? `Image ${i + 1} is being made…` : `Image ${i + 1} was not made.`}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      ) : first ? (
        <ul className="result-grid n1">
          <ResultTile
            item={first}
            items={items}
            place={0}
            autoFocusRef={(el) => {
              firstResult.current = el;
            }}
            figure={
              before && firstUrl ? (
                <CompareSlider
                  before={before}
                  after={firstUrl}
                  afterAlt={afterAlt}
                  aspect={first.width / first.height}
                />
              ) : firstUrl ? (
                <img src={firstUrl} alt={afterAlt} className="result-img checker" />
              ) : undefined
            }
          />
        </ul>
      ) : before ? (
        <div className="result-before">
          <img src={before} alt="The input image" className="result-img" />
          {active && <p className="muted">Working on this image…</p>}
        </div>
      ) : null}
    </section>
  );
}
