/**
 * Runs the ESRGAN models on onnxruntime-node: each package's tfjs layers model is converted once
 * per thread into an ONNX graph (onnx/keras-to-onnx.ts) with the package's own weights, and the
 * session is kept warm for the next tile and the next job. onnxruntime's intra-op threads split
 * every layer of a tile across the cores (docs/architecture.md §8).
 */
import { readFile } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import { z } from 'zod';
import type { UpscaleTier } from '../../shared/pricing/book';
import { EngineError } from './errors';
import { ESRGAN_MODELS, type EsrganScale, esrganModelFile } from './esrgan-models';
import { readLayersModel } from './layers-model-file';
import { ONNX_INPUT, ONNX_OUTPUT, kerasToOnnx } from './onnx/keras-to-onnx';
import { onnxModel } from './onnx/proto';
import { type TensorRange, calibrationTensors, quantizeConvs } from './onnx/quantize';

/** 'int8': the convolutions quantised (the best tier's default); 'float32': as converted. */
export type EsrganPrecision = 'int8' | 'float32';

/** The default precision of each tier: int8 where calibration ranges ship (best). */
const DEFAULT_PRECISION: Readonly<Record<UpscaleTier, EsrganPrecision>> = {
  fast: 'float32',
  best: 'int8',
};

/** The RRDN layers kept in float32 in the int8 model. */
const FLOAT_CONVS = ['PreShuffle', 'SR'];

const rangesFile = new URL('./onnx/esrgan-best-ranges.json', import.meta.url);
const rangesSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z.tuple([z.number(), z.number()]).refine(([min, max]) => min <= max),
  ),
);

/** Upscales one NHWC patch of 0..255 floats; returns the NHWC result (0..255, unclipped). */
export type TileModel = (
  patch: Float32Array,
  width: number,
  height: number,
) => Promise<Float32Array>;

let runtime: Promise<typeof Ort> | null = null;
const sessions = new Map<string, Promise<Ort.InferenceSession>>();

function loadRuntime(): Promise<typeof Ort> {
  runtime ??= import('onnxruntime-node');
  return runtime;
}

/**
 * The activation ranges of the best tier at `scale`, measured on the calibration photos by
 * scripts/calibrate-esrgan.ts.
 */
async function calibratedRanges(scale: EsrganScale): Promise<Map<string, TensorRange>> {
  let parsed: z.infer<typeof rangesSchema>;
  try {
    parsed = rangesSchema.parse(JSON.parse(await readFile(rangesFile, 'utf8')));
  } catch (error) {
    throw new EngineError(
      'model-missing',
      `The int8 calibration ranges cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const ranges = parsed[`x${scale}`] ?? {};
  return new Map(Object.entries(ranges).map(([name, [min, max]]) => [name, { min, max }]));
}

/** The ONNX bytes of `tier` at `scale`, converted from the package's model files. */
async function esrganOnnxBytes(
  tier: UpscaleTier,
  scale: EsrganScale,
  precision: EsrganPrecision,
): Promise<Uint8Array> {
  const file = await readLayersModel(esrganModelFile(tier, scale));
  const graph = kerasToOnnx(file, { inputMax: ESRGAN_MODELS[tier].inputMax });
  if (precision === 'float32') return onnxModel(graph);
  if (tier !== 'best') throw new EngineError('bad-params', 'Only the best tier has an int8 model.');
  const ranges = await calibratedRanges(scale);
  const missing = calibrationTensors(graph).filter((name) => !ranges.has(name));
  if (missing.length > 0)
    throw new EngineError(
      'model-missing',
      `The int8 calibration ranges miss ${missing.length} tensors (${missing.slice(0, 3).join(', ')}).`,
    );
  // The two convolutions that make the output pixels (around the depth to space) stay float: they
  // are ~1% of the work, and quantising them would add a second rounding to every output pixel.
  return onnxModel(quantizeConvs(graph, ranges, FLOAT_CONVS));
}

/**
 * The warm session of `tier` at `scale` with `threads` intra-op threads (created once per
 * thread and kept). Spinning is off: idle engine threads then leave the CPU to the server.
 */
function loadEsrganSession(
  tier: UpscaleTier,
  scale: EsrganScale,
  threads: number,
  precision: EsrganPrecision,
): Promise<Ort.InferenceSession> {
  const key = `${tier}/${scale}/${threads}/${precision}`;
  let session = sessions.get(key);
  if (!session) {
    session = (async () => {
      const [ort, bytes] = await Promise.all([
        loadRuntime(),
        esrganOnnxBytes(tier, scale, precision),
      ]);
      return ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        // Without the arena a 256 px tile's working memory is given back after the run.
        enableCpuMemArena: false,
        intraOpNumThreads: Math.max(1, Math.floor(threads)),
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
    })();
    sessions.set(key, session);
    session.catch(() => sessions.delete(key));
  }
  return session;
}

/** A TileModel on the warm onnxruntime session. */
export async function onnxTileModel(
  tier: UpscaleTier,
  scale: EsrganScale,
  threads: number,
  precision: EsrganPrecision = DEFAULT_PRECISION[tier],
): Promise<TileModel> {
  const [ort, session] = await Promise.all([
    loadRuntime(),
    loadEsrganSession(tier, scale, threads, precision),
  ]);
  return async (patch, width, height) => {
    const input = new ort.Tensor('float32', patch, [1, height, width, 3]);
    const result = await session.run({ [ONNX_INPUT]: input });
    const output = result[ONNX_OUTPUT];
    try {
      if (!output || !(output.data instanceof Float32Array))
        throw new EngineError('engine-failed', 'The ESRGAN model returned no float output.');
      const [n, h, w, c] = output.dims;
      if (n !== 1 || h !== height * scale || w !== width * scale || c !== 3)
        throw new EngineError(
          'engine-failed',
          `The ESRGAN model returned a ${output.dims.join('×')} tensor.`,
        );
      return output.data;
    } finally {
      input.dispose();
    }
  };
}
