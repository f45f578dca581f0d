/** Where the jobs' engine workers start (see engine-worker.ts), with the nice value they take. */
export function engineWorkerUrl(nice: number): URL {
  const file = import.meta.url.endsWith('.ts') ? './engine-worker.ts' : './engine-worker.js';
  const url = new URL(file, import.meta.url);
  url.searchParams.set('nice', String(Math.max(0, Math.min(19, Math.floor(nice)))));
  return url;
}
