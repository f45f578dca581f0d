/**
 * ESRGAN super-resolution, tile by tile. Each quality tier runs its own model
 * (esrgan-models.ts) on onnxruntime (esrgan-onnx.ts; the default) or on tfjs (esrgan-tfjs.ts, the
 * UpscalerJS reference). Images are processed in tiles with a margin of context on every side, so
 * memory stays bounded by the tile size whatever the image size, and the margins hide tile seams.
 */
import { availableParallelism } from 'node:os';
import type { UpscaleTier } from '../../shared/pricing/book';
import { backProject } from './back-projection';
import { EngineError, type ProgressFn, throwIfAborted } from './errors';
import type { EsrganScale } from './esrgan-models';
import type { EsrganPrecision, TileModel } from './esrgan-onnx';

export type { EsrganScale } from './esrgan-models';

/** 'onnxruntime' (default, several times faster) or 'tfjs' (the reference runtime). */
type EsrganRuntime = 'onnxruntime' | 'tfjs';

let upscaleThreads = availableParallelism();

/**
 * Sets the threads one upscale may use (onnxruntime's intra-op threads, which split every layer
 * of a tile across the cores). The pool gives each worker its share of the cores; the worker runs
 * niced, so the server's own thread still comes first.
 */
export function setUpscaleThreads(count: number): void {
  upscaleThreads = Math.max(1, Math.floor(count));
}

interface TileOptions {
  /** Side of a tile in input pixels (default 256). Memory per tile grows with its square. */
  tileSize?: number;
  /** Context in input pixels added around each tile and cropped away afterwards (default 12). */
  tilePadding?: number;
}

export interface EsrganOptions extends TileOptions {
  /** Which model: 'fast' (default) or 'best'. */
  tier?: UpscaleTier;
  runtime?: EsrganRuntime;
  /** Threads for this run (default: setUpscaleThreads, else every core). */
  threads?: number;
  /**
   * onnxruntime only: 'int8' (the best tier's default: quantised convolutions, ~3× less CPU) or
   * 'float32' (the fast tier's default, and the best tier as converted).
   */
  precision?: EsrganPrecision;
  /**
   * Back-project each tile onto its input (back-projection.ts): on for the best tier by default,
   * off for fast.
   */
  backProjection?: boolean;
}

/**
 * 256 px: a 256×256 image is one tile (no margin computed twice), and a whole best-tier upscale of
 * such a tile peaks near 0.5 GB of RSS (the 1024×1024 benchmark, 16 tiles: ~0.56 GB).
 */
const DEFAULT_TILE_SIZE = 256;
const DEFAULT_TILE_PADDING = 12;

async function tileModel(scale: EsrganScale, options: EsrganOptions): Promise<TileModel> {
  const tier = options.tier ?? 'fast';
  if (tier !== 'fast' && tier !== 'best')
    throw new EngineError('bad-params', "tier must be 'fast' or 'best'.");
  const runtime = options.runtime ?? 'onnxruntime';
  if (runtime === 'tfjs') return (await import('./esrgan-tfjs')).tfjsTileModel(tier, scale);
  if (runtime !== 'onnxruntime')
    throw new EngineError('bad-params', "runtime must be 'onnxruntime' or 'tfjs'.");
  const precision = options.precision;
  if (precision !== undefined && precision !== 'int8' && precision !== 'float32')
    throw new EngineError('bad-params', "precision must be 'int8' or 'float32'.");
  const { onnxTileModel } = await import('./esrgan-onnx');
  return onnxTileModel(tier, scale, options.threads ?? upscaleThreads, precision);
}

/**
 * Upscales packed RGB pixels (`width × height × 3` bytes) by `scale` with ESRGAN, tile by tile.
 * Returns packed RGB pixels of `width·scale × height·scale`. `onProgress` gets the fraction of
 * tiles done; `signal` is checked between tiles.
 */
export async function esrganUpscaleRgb(
  rgb: Uint8Array,
  width: number,
  height: number,
  scale: EsrganScale,
  options: EsrganOptions,
  onProgress: ProgressFn,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (rgb.length !== width * height * 3)
    throw new EngineError('bad-params', 'RGB buffer size does not match the dimensions.');
  const tile = Math.round(options.tileSize ?? DEFAULT_TILE_SIZE);
  const pad = Math.round(options.tilePadding ?? DEFAULT_TILE_PADDING);
  if (!(tile >= 16 && tile <= 1024))
    throw new EngineError('bad-params', 'tileSize must be between 16 and 1024.');
  if (!(pad >= 0 && pad <= 64))
    throw new EngineError('bad-params', 'tilePadding must be between 0 and 64.');
  const model = await tileModel(scale, options);
  const project = options.backProjection ?? (options.tier ?? 'fast') === 'best';
  throwIfAborted(signal);

  const outWidth = width * scale;
  const out = new Uint8ClampedArray(outWidth * height * scale * 3);
  const cols = Math.ceil(width / tile);
  const rows = Math.ceil(height / tile);
  const total = cols * rows;
  let done = 0;
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < cols; tx++) {
      throwIfAborted(signal);
      const x0 = tx * tile;
      const y0 = ty * tile;
      const tw = Math.min(tile, width - x0);
      const th = Math.min(tile, height - y0);
      const px0 = Math.max(0, x0 - pad);
      const py0 = Math.max(0, y0 - pad);
      const px1 = Math.min(width, x0 + tw + pad);
      const py1 = Math.min(height, y0 + th + pad);
      const pw = px1 - px0;
      const ph = py1 - py0;
      const patch = new Float32Array(pw * ph * 3);
      for (let y = 0; y < ph; y++) {
        const src = ((py0 + y) * width + px0) * 3;
        for (let i = 0; i < pw * 3; i++) patch[y * pw * 3 + i] = rgb[src + i] ?? 0;
      }
      const data = await model(patch, pw, ph);
      if (project) backProject(data, patch, pw, ph, scale);
      // Copy the tile's own area (without the context margin) into the output.
      const rowLen = pw * scale;
      const offX = (x0 - px0) * scale;
      const offY = (y0 - py0) * scale;
      const copyW = tw * scale * 3;
      for (let y = 0; y < th * scale; y++) {
        const src = ((offY + y) * rowLen + offX) * 3;
        const dst = ((y0 * scale + y) * outWidth + x0 * scale) * 3;
        out.set(data.subarray(src, src + copyW), dst);
      }
      done++;
      onProgress(done / total);
      // Let queued messages and timers run between tiles.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
