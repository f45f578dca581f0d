import { useEffect, useState } from 'react';
import { useJobs, useStores } from '../app/context';
import { GalleryCard } from '../components/GalleryCard';

export function Gallery(props: { onReuse: () => void }) {
  const { jobs } = useStores();
  const items = useJobs((s) => s.gallery);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return (
    <div className="screen">
      <h1>Gallery</h1>
      {items.length === 0 ? (
        <p className="muted">Your results appear here.</p>
      ) : (
        <ul className="cards">
          {items.map((item) => (
            <GalleryCard
              key={item.itemId}
              item={item}
              now={now}
              onReuse={() => {
                void jobs.getState().reuse(item);
                props.onReuse();
              }}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
