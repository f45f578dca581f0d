import { useMemo } from 'react';
import type { JobView } from '../../../shared/ipc/types';
import { useJobs } from '../app/context';
import type { GalleryRow } from '../db/db';
import { useTeams } from '../stores/team-store';

/**
 * The Studio and the Gallery show the runs of the wallet chosen in the top bar
 * (docs/architecture.md §14): the personal runs, or the chosen team's (its files, made by every
 * member). A run without a team is personal.
 */
const ofWallet = (teamId: string | undefined, selected: string | null): boolean =>
  (teamId ?? null) === selected;

/** The runs of the chosen wallet, by job id. */
export function useWalletJobs(): Record<string, JobView> {
  const jobs = useJobs((s) => s.jobs);
  const selected = useTeams((s) => s.selected);
  return useMemo(
    () =>
      Object.fromEntries(
        Object.entries(jobs).filter(([, j]) => ofWallet(j.team?.teamId, selected)),
      ),
    [jobs, selected],
  );
}

/** The gallery images of the chosen wallet. */
export function useWalletGallery(): GalleryRow[] {
  const rows = useJobs((s) => s.gallery);
  const selected = useTeams((s) => s.selected);
  return useMemo(() => rows.filter((r) => ofWallet(r.teamId, selected)), [rows, selected]);
}
