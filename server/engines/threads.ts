import { availableParallelism } from 'node:os';

/**
 * Default intra-op threads for the native engines (onnxruntime): one core is left for the rest of
 * the server, and U²-Netp gains little past 4 threads. (On the 2-core build machine, 1 thread is
 * also faster than 2.)
 */
export function defaultEngineThreads(cores = availableParallelism()): number {
  return Math.min(4, Math.max(1, cores - 1));
}
