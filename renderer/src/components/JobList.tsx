import { useJobs } from '../app/context';
import { JobCard } from './JobCard';

export function JobList() {
  const jobs = useJobs((s) => s.jobs);
  const error = useJobs((s) => s.error);
  const list = Object.values(jobs).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <section className="panel" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Runs</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {list.length === 0 ? (
        <p className="muted">Runs you start appear here with their progress.</p>
      ) : (
        <ul className="jobs">
          {list.slice(0, 20).map((j) => (
            <JobCard key={j.jobId} job={j} />
          ))}
        </ul>
      )}
    </section>
  );
}
