import { useTeams } from '../stores/team-store';
import '../styles/teams.css';

/**
 * The team project the next charge on the chosen team wallet is for (docs/architecture.md §14):
 * one choice shared by the Studio's run bar and the Designs screen.
 */
export function TeamProjectPicker(props: { testId: string; className?: string }) {
  const detail = useTeams((s) => s.detail);
  const projects = detail?.projects ?? [];
  const projectId = useTeams((s) => s.projectId);
  const setProject = useTeams((s) => s.setProject);
  return (
    <label className={props.className ?? 'team-run-project'}>
      Project{' '}
      <select
        data-testid={props.testId}
        value={projectId ?? ''}
        onChange={(e) => setProject(e.target.value === '' ? null : e.target.value)}
      >
        <option value="">No project</option>
        {projects.map((p) => (
          <option key={p.projectId} value={p.projectId}>
            {p.name}
          </option>
        ))}
      </select>
    </label>
  );
}
