/**
 * The engine tasks a pool worker can run, with their input, params and output types, and the
 * in-thread dispatcher the worker calls. `runTask` can also be called directly (in-process) where
 * blocking the event loop does not matter, e.g. in a CLI or a benchmark.
 */
import { type CutoutParams, type CutoutResult, cutout } from './cutout';
import { EngineError, type ProgressFn } from './errors';
import { type FilterParams, applyFilter } from './filter';
import {
  type FaceEnhanceParams,
  type GenerateParams,
  type GenerationResult,
  generate,
  restoreFaces,
} from './generate/index';
import type { ImageResult } from './image-util';
import { type UpscaleParams, upscale } from './upscale';

interface EngineTasks {
  upscale: { input: Uint8Array; params: UpscaleParams; output: ImageResult };
  cutout: { input: Uint8Array; params: CutoutParams; output: CutoutResult };
  filter: { input: Uint8Array; params: FilterParams; output: ImageResult };
  /** Generation takes no input image here: an init image travels in params.request.initImage. */
  generate: { input: null; params: GenerateParams; output: GenerationResult };
  /** Face restoration runs on the configured engine; its input is the image. */
  'face-enhance': { input: Uint8Array; params: FaceEnhanceParams; output: ImageResult };
}

export type TaskKind = keyof EngineTasks;
export type TaskInput<K extends TaskKind> = EngineTasks[K]['input'];
export type TaskParams<K extends TaskKind> = EngineTasks[K]['params'];
export type TaskOutput<K extends TaskKind> = EngineTasks[K]['output'];

const taskKinds: readonly TaskKind[] = ['upscale', 'cutout', 'filter', 'generate', 'face-enhance'];

export function isTaskKind(value: unknown): value is TaskKind {
  return taskKinds.includes(value as TaskKind);
}

function needInput(input: Uint8Array | null, kind: TaskKind): Uint8Array {
  if (!(input instanceof Uint8Array))
    throw new EngineError('bad-params', `The ${kind} task needs input image bytes.`);
  return input;
}

/** Runs one engine task in the current thread. */
export async function runTask<K extends TaskKind>(
  kind: K,
  input: TaskInput<K>,
  params: TaskParams<K>,
  onProgress: ProgressFn,
  signal?: AbortSignal,
): Promise<TaskOutput<K>> {
  // Each branch narrows `kind`; the casts only re-attach the generic link TypeScript cannot follow.
  switch (kind) {
    case 'upscale':
      return (await upscale(
        needInput(input, kind),
        params as UpscaleParams,
        onProgress,
        signal,
      )) as TaskOutput<K>;
    case 'cutout':
      return (await cutout(
        needInput(input, kind),
        params as CutoutParams,
        onProgress,
        signal,
      )) as TaskOutput<K>;
    case 'filter':
      return (await applyFilter(
        needInput(input, kind),
        params as FilterParams,
        onProgress,
        signal,
      )) as TaskOutput<K>;
    case 'generate':
      return (await generate(params as GenerateParams, onProgress, signal)) as TaskOutput<K>;
    case 'face-enhance':
      return (await restoreFaces(
        needInput(input, kind),
        params as FaceEnhanceParams,
        onProgress,
        signal,
      )) as TaskOutput<K>;
    default:
      throw new EngineError('bad-params', `Unknown task kind ${String(kind)}.`);
  }
}
