import { liveQuery } from 'dexie';

/** Feeds a Dexie live query into a store setter; returns the unsubscribe function. */
export function watch<T>(query: () => Promise<T>, onValue: (value: T) => void): () => void {
  const sub = liveQuery(query).subscribe({
    next: onValue,
    error: (error: unknown) => console.error('live query failed', error),
  });
  return () => sub.unsubscribe();
}
