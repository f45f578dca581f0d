/**
 * Generation providers behind one interface. `createProvider` builds one from a plain,
 * serialisable config (so a config can be stored, or sent to a pool worker).
 */
import sharp from 'sharp';
import { EngineError, type ProgressFn, noProgress } from '../errors';
import type { ImageResult } from '../image-util';
import { type Automatic1111Options, Automatic1111Provider } from './automatic1111';
import { type ComfyUIOptions, ComfyUIProvider } from './comfyui';
import { type OpenAIProviderOptions, OpenAIImagesProvider } from './openai';
import { EaselPreviewProvider } from './preview';
import type { GenerateProvider, GenerationRequest, GenerationResult } from './types';

export * from './types';
export { OpenAIImagesProvider } from './openai';
export { EaselPreviewProvider, PREVIEW_PROVIDER_ID, label as previewLabel } from './preview';

export type ProviderConfig =
  | ({ kind: 'openai' } & OpenAIProviderOptions)
  | ({ kind: 'automatic1111' } & Automatic1111Options)
  | ({ kind: 'comfyui' } & ComfyUIOptions)
  | { kind: 'preview' };

export function createProvider(config: ProviderConfig): GenerateProvider {
  switch (config.kind) {
    case 'openai':
      return new OpenAIImagesProvider(config);
    case 'automatic1111':
      return new Automatic1111Provider(config);
    case 'comfyui':
      return new ComfyUIProvider(config);
    case 'preview':
      return new EaselPreviewProvider();
    default:
      throw new EngineError(
        'bad-params',
        `Unknown provider kind ${String((config as { kind?: unknown }).kind)}.`,
      );
  }
}

export interface FaceEnhanceParams {
  provider: ProviderConfig;
}

/** Face restoration by the engine that has it (Automatic1111's GFPGAN or CodeFormer), as PNG. */
export async function restoreFaces(
  input: Uint8Array,
  params: FaceEnhanceParams,
  onProgress: ProgressFn = noProgress,
  signal?: AbortSignal,
): Promise<ImageResult> {
  const provider = createProvider(params.provider);
  if (!provider.restoreFaces)
    throw new EngineError('bad-params', `${provider.label} cannot restore faces.`);
  const bytes = await provider.restoreFaces(input, onProgress, signal);
  const png = await sharp(bytes, { limitInputPixels: 100_000_000 })
    .png()
    .toBuffer({ resolveWithObject: true });
  return {
    image: new Uint8Array(png.data),
    width: png.info.width,
    height: png.info.height,
    format: 'png',
  };
}

export interface GenerateParams {
  provider: ProviderConfig;
  request: GenerationRequest;
}

/** The generate engine in the same (input, params, onProgress, signal) shape as the others. */
export function generate(
  params: GenerateParams,
  onProgress: ProgressFn = noProgress,
  signal?: AbortSignal,
): Promise<GenerationResult> {
  return createProvider(params.provider).generate(params.request, onProgress, signal);
}
