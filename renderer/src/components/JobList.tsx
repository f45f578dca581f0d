import { useWalletJobs } from '../studio/wallet-runs';
import { useTeams } from '../stores/team-store';
import { JobCard } from './JobCard';
import { useCurrentJob } from './ResultPanel';

/**
 * The runs of the chosen wallet, newest first (the first 12; the Gallery keeps every image): the
 * account's personal runs, or the chosen team's by all its members.
 */
export function JobList() {
  const jobs = useWalletJobs();
  const team = useTeams((s) => s.teams.find((t) => t.teamId === s.selected) ?? null);
  const current = useCurrentJob();
  const list = Object.values(jobs).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <section className="runs" aria-labelledby="jobs-title">
      <h2 id="jobs-title">{team ? `${team.name} runs` : 'Runs'}</h2>
      {list.length === 0 ? (
        <p className="muted">
          {team
            ? `Runs on the ${team.name} wallet, by every member, appear here.`
            : 'Runs you start appear here with their progress.'}
        </p>
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
