import { useEffect, useMemo, useState } from 'react';
import { useCatalog, useJobs, useStores } from '../app/context';
import { GalleryCard } from '../components/GalleryCard';
import { Viewer } from '../components/Viewer';
import { itemsOfGallery } from '../studio/results';
import { useWalletGallery } from '../studio/wallet-runs';

export function Gallery(props: { onReuse: () => void }) {
  const { studio } = useStores();
  const rows = useWalletGallery();
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
      <h1>Gallery</h1>
      {rows.length === 0 ? (
        <p className="muted">Your results appear here.</p>
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
