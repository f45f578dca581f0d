import { useEffect, useMemo, useState } from 'react';
import { useCatalog, useJobs, useStores } from '../app/context';
import { GalleryCard } from '../components/GalleryCard';
import { Viewer } from '../components/Viewer';
import { itemsOfGallery } from '../studio/results';
import { useWalletGallery } from '../studio/wallet-runs';
import { useTeams } from '../stores/team-store';

export function Gallery(props: { onReuse: () => void }) {
  const { studio } = useStores();
  const rows = useWalletGallery();
  // The Gallery shows the chosen wallet's images (docs/architecture.md §14): it says which.
  const team = useTeams((s) => s.teams.find((t) => t.teamId === s.selected) ?? null);
  const jobs = useJobs((s) => s.jobs);
  const book = useCatalog((s) => s.priceBook)?.book ?? null;
  const items = useMemo(() => itemsOfGallery(rows, jobs, book), [rows, jobs, book]);
  const [open, setOpen] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return (
    <div className="screen">
      <h1>{team ? `Gallery — ${team.name}` : 'Gallery'}</h1>
      {rows.length === 0 ? (
        <p className="muted">
          {team
            ? `Images made on the ${team.name} wallet, by every member, appear here. Your own images are under the Personal wallet in the top bar.`
            : 'Images you make in the Studio appear here.'}
        </p>
      ) : (
        <ul className="cards">
          {rows.map((row, i) => (
            <GalleryCard
              key={row.itemId}
              item={row}
              result={items[i] ?? null}
              now={now}
              onOpen={() => setOpen(i)}
              onReuse={() => {
                // The Studio keeps its prompt, settings and mode; the image becomes the input.
                void studio.getState().reuse(row.sha256);
                props.onReuse();
              }}
            />
          ))}
        </ul>
      )}
      {open !== null && items[open] && (
        <Viewer items={items} index={open} onIndex={setOpen} onClose={() => setOpen(null)} />
      )}
    </div>
  );
}
