/**
 * ESRGAN super-resolution (the "slim" RDN models of @upscalerjs/esrgan-slim, MIT) on
 * @tensorflow/tfjs with the WebAssembly backend. The weights and the .wasm binaries are read from
 * node_modules; nothing is fetched. Images are processed in tiles with a margin of context on
 * every side, so memory stays bounded by the tile size whatever the image size, and the margins
 * hide tile seams.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EngineError, type ProgressFn, throwIfAborted } from './errors';
import { packageFile } from './package-files';

export type EsrganScale = 2 | 4 | 8;

export const ESRGAN_PACKAGE = '@upscalerjs/esrgan-slim';

let backendReady: Promise<void> | null = null;

/** Selects the tfjs WebAssembly backend once per thread, with the .wasm files from node_modules. */
export function ensureWasmBackend(): Promise<void> {
  backendReady ??= (async () => {
    // Production mode first: no per-op NaN checks, and the backend package (which brings its own
    // copy of tfjs-core, sharing tfjs's global engine) then registers without console warnings.
    tf.enableProdMode();
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    const wasmFile = packageFile('@tensorflow/tfjs-backend-wasm', 'dist/tfjs-backend-wasm.wasm');
    setWasmPaths(`${dirname(wasmFile)}/`);
    const ok = await tf.setBackend('wasm');
    if (!ok || tf.getBackend() !== 'wasm')
      throw new EngineError('engine-failed', 'The tfjs WebAssembly backend could not start.');
    await tf.ready();
  })();
  backendReady.catch(() => {
    backendReady = null;
  });
  return backendReady;
}

const models = new Map<EsrganScale, Promise<tf.LayersModel>>();

interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

function isWeightsGroup(value: unknown): value is WeightsGroup {
  return (
    typeof value === 'object' &&
    value !== null &&
    'paths' in value &&
    Array.isArray(value.paths) &&
    value.paths.every((p) => typeof p === 'string') &&
    'weights' in value &&
    Array.isArray(value.weights)
  );
}

/**
 * A tfjs IOHandler that reads a layers model (model.json + weight shards) from a local folder;
 * tfjs's own http loader cannot read files and tfjs-node is not used here.
 */
export function fileSystemHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const parsed: unknown = JSON.parse(await readFile(modelJsonPath, 'utf8'));
      if (
        typeof parsed !== 'object' ||
        parsed === null ||
        !('modelTopology' in parsed) ||
        !('weightsManifest' in parsed)
      ) {
        throw new EngineError('model-missing', `${modelJsonPath} is not a tfjs layers model.`);
      }
      const manifest = parsed.weightsManifest;
      if (!Array.isArray(manifest) || !manifest.every(isWeightsGroup))
        throw new EngineError('model-missing', `${modelJsonPath} has no valid weights manifest.`);
      const dir = dirname(modelJsonPath);
      const shards = await Promise.all(
        manifest.flatMap((group) => group.paths.map((p) => readFile(join(dir, p)))),
      );
      const total = shards.reduce((n, s) => n + s.byteLength, 0);
      const weightData = new ArrayBuffer(total);
      const view = new Uint8Array(weightData);
      let offset = 0;
      for (const shard of shards) {
        view.set(shard, offset);
        offset += shard.byteLength;
      }
      return {
        modelTopology: parsed.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: manifest.flatMap((group) => group.weights),
        weightData,
        format: 'layers-model',
      };
    },
  };
}

/** Loads (once per thread) the ESRGAN slim model for `scale`. */
export function loadEsrgan(scale: EsrganScale): Promise<tf.LayersModel> {
  let model = models.get(scale);
  if (!model) {
    model = (async () => {
      await ensureWasmBackend();
      return tf.loadLayersModel(
        fileSystemHandler(packageFile(ESRGAN_PACKAGE, `models/x${scale}/model.json`)),
      );
    })();
    models.set(scale, model);
    model.catch(() => models.delete(scale));
  }
  return model;
}

export interface TileOptions {
  /** Side of a tile in input pixels (default 128). Memory per tile grows with its square. */
  tileSize?: number;
  /** Context in input pixels added around each tile and cropped away afterwards (default 12). */
  tilePadding?: number;
}

export const DEFAULT_TILE_SIZE = 128;
export const DEFAULT_TILE_PADDING = 12;

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
  options: TileOptions,
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
  const model = await loadEsrgan(scale);
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
      const result = tf.tidy(() => {
        const input = tf.tensor4d(patch, [1, ph, pw, 3]);
        const predicted = model.predict(input);
        if (Array.isArray(predicted))
          throw new EngineError('engine-failed', 'The ESRGAN model returned several outputs.');
        return predicted;
      });
      let data: Float32Array;
      try {
        const raw = await result.data();
        if (!(raw instanceof Float32Array))
          throw new EngineError('engine-failed', 'The ESRGAN model returned a non-float tensor.');
        data = raw;
      } finally {
        result.dispose();
      }
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
