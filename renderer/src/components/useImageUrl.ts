import { useEffect, useState } from 'react';
import { useStores } from '../app/context';
import { imageUrl, readyImageUrl } from '../studio/image-cache';

/** An object URL for a result file (fetched through main once per window). */
export function useImageUrl(sha256: string | null): string | null {
  const { api } = useStores();
  const [url, setUrl] = useState<{ sha: string | null; url: string | null }>(() => ({
    sha: sha256,
    url: sha256 ? readyImageUrl(sha256) : null,
  }));
  useEffect(() => {
    if (!sha256 || readyImageUrl(sha256)) return;
    let live = true;
    void imageUrl(api, sha256).then((u) => {
      if (live) setUrl({ sha: sha256, url: u });
    });
    return () => {
      live = false;
    };
  }, [api, sha256]);
  // A file fetched already shows in the first render.
  if (sha256 && readyImageUrl(sha256)) return readyImageUrl(sha256);
  return url.sha === sha256 ? url.url : null;
}
