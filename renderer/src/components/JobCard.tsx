import { memo, useMemo } from 'react';
import type { JobView } from '../../../shared/ipc/types';
import { useCatalog, useStores, useStudio } from '../app/context';
import {
  itemsOfJob,
  modelLabel,
  progressText,
  promptOf,
  TOOL_LABEL,
  type ResultItem,
} from '../studio/results';
import { useTeams } from '../stores/team-store';
import { creditsText } from '../util/format';
import { useImageUrl } from './useImageUrl';

const ACTIVE = new Set(['queued', 'running']);
const timeFmt = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit' });

function Thumb(props: { item: ResultItem; items: ResultItem[]; place: number }) {
  const { studio } = useStores();
  const url = useImageUrl(props.item.sha256);
  return (
    <button
      type="button"
      className="run-thumb"
      aria-label={`Open image ${props.item.index + 1} of this run in the viewer`}
      onClick={() => studio.getState().openViewer(props.items, props.place)}
    >
      {url ? <img src={url} alt="" /> : <span className="run-thumb-empty" />}
    </button>
  );
}

/** "took 6 s", "took 2 min". */
const tookText = (ms: number): string =>
  ms < 90_000
    ? `took ${Math.max(1, Math.round(ms / 1000))} s`
    : `took ${Math.round(ms / 60_000)} min`;

/**
 * A run: a strip of its images, its prompt, model, size, cost and time; while it runs, its
 * stage, percent, time left and a cancel. Choosing it shows it in the result area. Memoised: an
 * update of one run re-renders its own card, not the whole list (docs/architecture.md §8).
 */
export const JobCard = memo(function JobCard(props: { job: JobView; current: boolean }) {
  const { jobs, studio } = useStores();
  const { job } = props;
  const book = useCatalog((s) => s.priceBook)?.book ?? null;
  const frame = useStudio((s) => s.previews[job.jobId]?.[0]);
  const endedAt = useStudio((s) => s.endedAt[job.jobId]);
  const runningSince = useStudio((s) => s.runningSince[job.jobId]);
  const items = useMemo(() => itemsOfJob(job, book), [job, book]);
  const active = ACTIVE.has(job.state);
  const prompt = promptOf(job.params);
  const model = modelLabel(job.params, book);
  const w = Number(job.params.width) || items[0]?.width;
  const h = Number(job.params.height) || items[0]?.height;
  const size = w && h ? `${w} × ${h}` : null;
  const cost =
    job.capturedCredits !== null
      ? `${creditsText(job.capturedCredits)} charged`
      : `${creditsText(job.heldCredits)} pending`;
  const when = timeFmt.format(new Date(job.createdAt));
  const took = endedAt ? tookText(endedAt - Date.parse(job.createdAt)) : null;
  // A team run says who ran it and for which project (docs/architecture.md §14).
  const byWhom = useTeams((s) => {
    if (!job.team) return null;
    const { memberId, projectId } = job.team;
    const member = s.detail?.members.find((m) => m.accountId === memberId)?.email ?? 'a member';
    const project = s.detail?.projects.find((p) => p.projectId === projectId)?.name;
    return `by ${member}${projectId === null ? ' · no project' : project ? ` · ${project}` : ''}`;
  });
  return (
    <li
      className={props.current ? 'run-card current' : 'run-card'}
      data-testid={`run-${job.state}`}
      aria-current={props.current ? 'true' : undefined}
    >
      <div className="run-strip">
        {items.length > 0 ? (
          items.map((item, i) => <Thumb key={item.key} item={item} items={items} place={i} />)
        ) : frame ? (
          <img src={frame} alt="" className="run-thumb preview-frame" />
        ) : (
          <span className="run-thumb-empty" aria-hidden="true" />
        )}
      </div>
      <div className="run-body">
        <div className="run-head">
          <p className="run-title">{prompt ?? TOOL_LABEL[job.tool]}</p>
          <span className={`state state-${job.state}`}>{job.state.replace('-', ' ')}</span>
        </div>
        <p className="muted small">
          {[prompt ? TOOL_LABEL[job.tool] : null, model, size].filter(Boolean).join(' · ')}
        </p>
        {byWhom && (
          <p className="muted small" data-testid="run-team">
            {byWhom}
          </p>
        )}
        <p className="muted small">
          {cost} · {when}
          {took ? ` · ${took}` : ''}
        </p>
        {active && (
          <div className="job-progress">
            <progress
              max={1}
              value={job.progress}
              aria-label={`${TOOL_LABEL[job.tool]} progress`}
            />
            <button
              type="button"
              className="secondary small-button"
              onClick={() => void jobs.getState().cancel(job.jobId)}
            >
              Cancel
            </button>
          </div>
        )}
        {active && <p className="muted small">{progressText(job, runningSince)}</p>}
        {job.error && <p className="error small">{job.error}</p>}
        {job.state === 'awaiting-confirm' && (
          <p className="small">Waiting for you to confirm or discard it.</p>
        )}
        {!props.current && (
          <button
            type="button"
            className="link small"
            onClick={() => studio.getState().showJob(job.jobId)}
          >
            Show this run
          </button>
        )}
      </div>
    </li>
  );
});
