import type { JobView } from '../../../shared/ipc/types';
import { useStores } from '../app/context';
import { creditsText } from '../util/format';
import { useImageUrl } from './useImageUrl';

const ACTIVE = new Set(['queued', 'running']);

export function JobCard(props: { job: JobView }) {
  const { jobs } = useStores();
  const { job } = props;
  const first = job.outputs[0] ?? null;
  const url = useImageUrl(job.state === 'awaiting-confirm' && first ? first.sha256 : null);
  const charged =
    job.capturedCredits !== null
      ? `${creditsText(job.capturedCredits)} charged`
      : `${creditsText(job.heldCredits)} held`;
  return (
    <li className="job" data-testid={`job-${job.state}`}>
      <div className="job-head">
        <strong>{job.tool}</strong>
        <span className={`state state-${job.state}`}>{job.state.replace('-', ' ')}</span>
        <span className="muted">{charged}</span>
      </div>
      {ACTIVE.has(job.state) && (
        <div className="job-progress">
          <progress max={1} value={job.progress} aria-label={`${job.tool} progress`} />
          <button
            type="button"
            className="secondary"
            onClick={() => void jobs.getState().cancel(job.jobId)}
          >
            Cancel
          </button>
        </div>
      )}
      {job.error && <p className="error">{job.error}</p>}
      {job.state === 'awaiting-confirm' && (
        <div className="confirm">
          {url && <img src={url} alt="Cutout result" className="preview" />}
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
    </li>
  );
}
