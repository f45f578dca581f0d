/**
 * Public surface of the engines. The jobs API should go through EnginePool, which runs the
 * engines in worker threads, off the event loop; the engine functions are exported for scripts,
 * benchmarks and tests. Importing this module is cheap: tfjs and onnxruntime are only loaded by
 * the first upscale or cutout that runs in the importing thread.
 */
export { EnginePool, PoolError, type PoolOptions } from './pool';
export { EngineError, type PreviewFrame, type ProgressDetail, isAbortError } from './errors';
export {
  DEFAULT_IMAGE_LIMITS,
  ImageInputError,
  type ImageInfo,
  type ImageInputErrorCode,
  inspectImage,
} from './image-input';
export { DEFAULT_MAX_OUTPUT_PIXELS, type UpscaleParams } from './upscale';
export { ESRGAN_MODELS, esrganTierInstalled } from './esrgan-models';
export { isFilterPreset } from './filter';
export * from './generate/index';
