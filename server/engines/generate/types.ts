/**
 * The one interface every image generator implements, whether it is a remote API (OpenAI-compatible
 * images API, Automatic1111) or the built-in offline preview engine.
 */
import type { ProgressFn } from '../errors';

export interface GenerationRequest {
  prompt: string;
  negativePrompt?: string;
  /** Output width in pixels; every returned image has exactly this size. */
  width: number;
  /** Output height in pixels; every returned image has exactly this size. */
  height: number;
  /** Sampling steps (providers that have no such notion document what they do with it). */
  steps: number;
  /** Unsigned 32-bit seed. Image i of a batch uses seed + i where the provider supports seeds. */
  seed: number;
  /** Number of images (1..16). */
  count: number;
  /** Provider-specific model id (checkpoint name, API model name, …). */
  model: string;
  /** For image-to-image: the source image (PNG, JPEG or WebP bytes). */
  initImage?: Uint8Array;
  /** For image-to-image: 0 keeps the source, 1 ignores it. Default 0.6. */
  strength?: number;
}

export interface GenerationResult {
  /** PNG bytes, `count` of them, each `width × height`. */
  images: Uint8Array[];
}

export interface GenerateProvider {
  /** Stable id, e.g. 'openai', 'automatic1111', 'easel-preview'. */
  readonly id: string;
  /** What the user is told this provider is. */
  readonly label: string;
  generate(
    req: GenerationRequest,
    onProgress: ProgressFn,
    signal?: AbortSignal,
  ): Promise<GenerationResult>;
}

export type ProviderErrorCode = 'timeout' | 'http-error' | 'bad-response' | 'unreachable';

/** A provider failed. Cancellation is not a ProviderError: it throws EngineAbortError. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    /** The HTTP status for 'http-error'. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export const DEFAULT_STRENGTH = 0.6;
export const MAX_COUNT = 16;
export const MAX_SIDE = 4096;
export const MAX_STEPS = 10_000;
