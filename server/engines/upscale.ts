/**
 * Upscale engine: ESRGAN super-resolution in two quality tiers (x2, x4 and x8 models of
 * @upscalerjs/esrgan-medium for 'fast', @upscalerjs/esrgan-thick for 'best') run in tiles, or a
 * Lanczos-3 resize through sharp. Output is PNG. An alpha channel, if any, is carried over with a
 * Lanczos resize (the model only sees RGB).
 */
import sharp from 'sharp';
import { EngineError, type ProgressFn, clampFraction, noProgress, throwIfAborted } from './errors';
import type { EsrganOptions, EsrganScale } from './esrgan';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-input';
import { type ImageResult, asUint8, openImage, toRaw, toRawGrey } from './image-util';

type UpscaleFactor = 2 | 4 | 8;
type UpscaleMode = 'esrgan' | 'lanczos';

export interface UpscaleParams extends EsrganOptions {
  factor: UpscaleFactor;
  /**
   * 'esrgan' (default): the neural model of `tier`; 'lanczos': sharp's Lanczos-3 resize, fast
   * (it takes no tier).
   */
  mode?: UpscaleMode;
  /** Limits on the input (default 40 MP, 50 MB). */
  limits?: ImageLimits;
  /** Largest output width × height (default 8192 × 8192). */
  maxOutputPixels?: number;
}

export const DEFAULT_MAX_OUTPUT_PIXELS = 8192 * 8192;

const factors: readonly UpscaleFactor[] = [2, 4, 8];

function isUpscaleFactor(value: unknown): value is UpscaleFactor {
  return factors.includes(value as UpscaleFactor);
}

/** Upscales `input` (PNG, JPEG or WebP bytes) by `params.factor`; returns PNG. */
export async function upscale(
  input: Uint8Array,
  params: UpscaleParams,
  onProgress: ProgressFn = noProgress,
  signal?: AbortSignal,
): Promise<ImageResult> {
  if (!isUpscaleFactor(params.factor))
    throw new EngineError('bad-params', 'factor must be 2, 4 or 8.');
  const mode = params.mode ?? 'esrgan';
  if (mode !== 'esrgan' && mode !== 'lanczos')
    throw new EngineError('bad-params', "mode must be 'esrgan' or 'lanczos'.");
  if (mode === 'lanczos' && params.tier !== undefined)
    throw new EngineError('bad-params', 'A Lanczos resize has no quality tier.');
  throwIfAborted(signal);
  const opened = await openImage(input, params.limits ?? DEFAULT_IMAGE_LIMITS);
  const { width, height } = opened.info;
  const outWidth = width * params.factor;
  const outHeight = height * params.factor;
  const maxOut = params.maxOutputPixels ?? DEFAULT_MAX_OUTPUT_PIXELS;
  if (outWidth * outHeight > maxOut) {
    throw new EngineError(
      'too-many-pixels',
      `The upscaled image would be ${outWidth}×${outHeight}; the limit is ${(maxOut / 1e6).toFixed(1)} MP.`,
    );
  }
  onProgress(0);

  if (mode === 'lanczos') {
    const png = await opened
      .pipeline()
      .resize(outWidth, outHeight, { kernel: 'lanczos3', fit: 'fill' })
      .png()
      .toBuffer();
    throwIfAborted(signal);
    onProgress(1);
    return { image: asUint8(png), width: outWidth, height: outHeight, format: 'png' };
  }

  const rgb = await toRaw(opened.pipeline(), 3);
  throwIfAborted(signal);
  // The model pass is ~95% of the work; the PNG encode takes the rest.
  // tfjs is loaded on first use, so importing this module (or Lanczos mode) stays cheap.
  const { esrganUpscaleRgb } = await import('./esrgan');
  const upscaled = await esrganUpscaleRgb(
    rgb.data,
    width,
    height,
    params.factor satisfies EsrganScale,
    params,
    (f) => onProgress(clampFraction(f * 0.95)),
    signal,
  );
  throwIfAborted(signal);
  let out = sharp(upscaled, {
    raw: { width: outWidth, height: outHeight, channels: 3 },
    limitInputPixels: false,
  });
  if (opened.hasAlpha) {
    const alpha = await toRawGrey(
      opened
        .pipeline()
        .ensureAlpha()
        .extractChannel(3)
        .resize(outWidth, outHeight, { kernel: 'lanczos3', fit: 'fill' }),
    );
    out = out.joinChannel(Buffer.from(alpha.buffer, alpha.byteOffset, alpha.byteLength), {
      raw: { width: outWidth, height: outHeight, channels: 1 },
    });
  }
  const png = await out.png().toBuffer();
  onProgress(1);
  return { image: asUint8(png), width: outWidth, height: outHeight, format: 'png' };
}
