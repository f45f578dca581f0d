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

/** An engine that turns an input image into its output (all but generation). */
type ImageEngine<K extends TaskKind> = (
  input: Uint8Array,
  params: TaskParams<K>,
  onProgress: ProgressFn,
  signal?: AbortSignal,
) => Promise<TaskOutput<K>>;

/** The engine of each task that takes an input image. */
const imageEngines: { [K in Exclude<TaskKind, 'generate'>]: ImageEngine<K> } = {
  upscale,
  cutout,
  filter: applyFilter,
  'face-enhance': restoreFaces,
};

/** Runs one engine task in the current thread. */
export async function runTask<K extends TaskKind>(
  kind: K,
  input: TaskInput<K>,
  params: TaskParams<K>,
  onProgress: ProgressFn,
  signal?: AbortSignal,
): Promise<TaskOutput<K>> {
  if (!isTaskKind(kind)) throw new EngineError('bad-params', `Unknown task kind ${String(kind)}.`);
  // The casts only re-attach the generic link from `kind` to its types that TypeScript cannot
  // follow; the table above is checked kind by kind.
  if (kind === 'generate')
    return (await generate(params as GenerateParams, onProgress, signal)) as TaskOutput<K>;
  const engine = imageEngines[kind as Exclude<TaskKind, 'generate'>] as unknown as ImageEngine<K>;
  return engine(needInput(input, kind), params, onProgress, signal);
}
