import { useJobs } from '../app/context';
import { JobCard } from './JobCard';
import { useCurrentJob } from './ResultPanel';

/** The runs of this account, newest first (the first 12; the Gallery keeps every image). */
export function JobList() {
  const jobs = useJobs((s) => s.jobs);
  const current = useCurrentJob();
  const list = Object.values(jobs).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <section className="runs" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Runs</h2>
      {list.length === 0 ? (
        <p className="muted">Runs you start appear here with their progress.</p>
      ) : (
        <ul className="run-list">
          {list.slice(0, 12).map((j) => (
            <JobCard key={j.jobId} job={j} current={j.jobId === current?.jobId} />
          ))}
        </ul>
      )}
    </section>
  );
}
