import { useEffect, useState } from 'react';
import { useStores } from '../app/context';
import { blobOfBase64 } from '../stores/studio-store';

// Object URLs by file hash: each image is fetched through main once per session.
const cache = new Map<string, Promise<string | null>>();

export function useImageUrl(sha256: string | null): string | null {
  const { api } = useStores();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!sha256) return;
    let live = true;
    let p = cache.get(sha256);
    if (!p) {
      p = api.getFile({ sha256 }).then(
        (f) => URL.createObjectURL(blobOfBase64(f.base64, f.mime)),
        () => {
          cache.delete(sha256);
          return null;
        },
      );
      cache.set(sha256, p);
    }
    void p.then((u) => {
      if (live) setUrl(u);
    });
    return () => {
      live = false;
    };
  }, [api, sha256]);
  return url;
}
