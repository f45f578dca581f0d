/**
 * Entry of the jobs' engine worker threads: lowers the thread's scheduling priority, then runs
 * the engines' own worker. On Linux a nice value belongs to the thread (and to the threads it
 * starts, such as onnxruntime's), so the server's main thread — HTTP, the ledger, PGlite — keeps
 * the CPU it needs while the engines use the rest. Elsewhere setpriority applies to the whole
 * process, so nothing is changed there.
 */
import { setPriority } from 'node:os';

/** The nice value comes in this module's URL (`?nice=10`): the pool owns the worker's data. */
const nice = Number(new URL(import.meta.url).searchParams.get('nice') ?? 0);

if (process.platform === 'linux' && Number.isFinite(nice) && nice > 0) {
  try {
    setPriority(Math.min(19, Math.floor(nice)));
  } catch {
    // Not allowed here (a locked-down container): run at normal priority.
  }
}

await import('../engines/worker');
