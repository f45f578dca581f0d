/**
 * Public surface of the engines. The jobs API should go through EnginePool, which runs the
 * engines in worker threads, off the event loop; the engine functions are exported for scripts,
 * benchmarks and tests. Importing this module is cheap: tfjs and onnxruntime are only loaded by
 * the first upscale or cutout that runs in the importing thread.
 */
export {
  EnginePool,
  PoolError,
  type PoolErrorCode,
  type PoolOptions,
  type PoolStats,
  type RunOptions,
} from './pool';
export {
  type EngineTasks,
  type TaskInput,
  type TaskKind,
  type TaskOutput,
  type TaskParams,
  runTask,
  taskKinds,
} from './tasks';
export {
  EngineAbortError,
  EngineError,
  type EngineErrorCode,
  type PreviewFrame,
  type ProgressDetail,
  type ProgressFn,
  isAbortError,
} from './errors';
export {
  DEFAULT_IMAGE_LIMITS,
  ImageInputError,
  type ImageFormat,
  type ImageInfo,
  type ImageInputErrorCode,
  type ImageLimits,
  inspectImage,
} from './image-input';
export type { ImageResult } from './image-util';
export {
  DEFAULT_MAX_OUTPUT_PIXELS,
  isUpscaleFactor,
  type UpscaleFactor,
  type UpscaleMode,
  type UpscaleParams,
  upscale,
} from './upscale';
export { ESRGAN_MODELS, type EsrganModel, esrganTierInstalled } from './esrgan-models';
export { CUTOUT_MODEL, type CutoutParams, type CutoutResult, cutout } from './cutout';
export { type FilterParams, type FilterPreset, applyFilter, isFilterPreset } from './filter';
export * from './generate/index';
