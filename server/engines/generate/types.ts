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
  /** Asks the engine what it is and has; throws a ProviderError that says why not. */
  probe?(signal?: AbortSignal): Promise<EngineProbe>;
  /** Face restoration of one image (PNG out), where the engine has it. */
  restoreFaces?(
    image: Uint8Array,
    onProgress: ProgressFn,
    signal?: AbortSignal,
  ): Promise<Uint8Array>;
}

/**
 * What kind of model an engine model is, which decides the workflow it needs (ComfyUI) and the
 * price-book model it serves by default. 'other' is offered only when the operator maps it.
 */
export type ModelFamily =
  'sd15' | 'sdxl' | 'flux' | 'dall-e-2' | 'dall-e-3' | 'gpt-image' | 'other';

export interface EngineModel {
  /** What the engine calls it (checkpoint file, API model id). */
  name: string;
  family: ModelFamily;
  /** Other names the engine accepts for it (Automatic1111's checkpoint aliases). */
  aliases?: string[];
}

/** What an engine said about itself when asked ("Test connection", the models it offers). */
export interface EngineProbe {
  /** "ComfyUI", "Automatic1111", "OpenAI-compatible images API". */
  server: string;
  version: string | null;
  /** The device it computes on, when it says. */
  device: { kind: 'gpu' | 'cpu' | 'other'; name: string | null; memoryGb: number | null } | null;
  models: EngineModel[];
  samplers: string[];
  imageToImage: boolean;
  faceEnhance: boolean;
}

/**
 * The family of a checkpoint from its file name, as Krita's AI Diffusion plugin does when the
 * server cannot say (ai_diffusion/backend/resources.py, Arch.from_checkpoint_name: "xl" in the
 * name is SDXL, else SD 1.5), with Flux-class names ("flux", "schnell") recognised too.
 */
export function checkpointFamily(name: string): ModelFamily {
  const n = name.toLowerCase();
  if (n.includes('flux') || n.includes('schnell')) return 'flux';
  if (n.includes('xl')) return 'sdxl';
  return 'sd15';
}

/**
 * Why a provider failed: 'timeout', 'unreachable' (refused, DNS, reset), 'http-error' (an answer
 * the adapter could not classify further), 'bad-response' (not what the API sends), 'auth' (the
 * key or password was refused), 'refused' (the service declined the request: a safety filter,
 * a parameter it does not take), 'model-missing' (the engine does not have the model),
 * 'out-of-memory', 'rate-limited', 'workflow' (the engine cannot load the workflow: a node or
 * input it does not know), 'interrupted' (someone stopped the run on the engine itself).
 */
export type ProviderErrorCode =
  | 'timeout'
  | 'http-error'
  | 'bad-response'
  | 'unreachable'
  | 'auth'
  | 'refused'
  | 'model-missing'
  | 'out-of-memory'
  | 'rate-limited'
  | 'workflow'
  | 'interrupted';

/**
 * A provider failed; the message is a sentence for the user that says why and what to do next.
 * Cancellation is not a ProviderError: it throws EngineAbortError.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    /** The HTTP status when the provider answered with an error. */
    readonly status?: number,
    /** The parsed error body and retry hint, for the adapter to classify (not sent across threads). */
    readonly answer?: { body: unknown; retryAfterMs: number | null },
  ) {
    super(message);
  }
}

export const DEFAULT_STRENGTH = 0.6;
export const MAX_COUNT = 16;
export const MAX_SIDE = 4096;
export const MAX_STEPS = 10_000;
