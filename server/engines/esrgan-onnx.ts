/**
 * Runs the ESRGAN models on onnxruntime-node: each package's tfjs layers model is converted once
 * per thread into an ONNX graph (onnx/keras-to-onnx.ts) with the package's own weights, and the
 * session is kept warm for the next tile and the next job. onnxruntime's intra-op threads split
 * every layer of a tile across the cores (docs/architecture.md §8).
 */
import type * as Ort from 'onnxruntime-node';
import type { UpscaleTier } from '../../shared/pricing/book';
import { EngineError } from './errors';
import { ESRGAN_MODELS, type EsrganScale, esrganModelFile } from './esrgan-models';
import { readLayersModel } from './layers-model-file';
import { ONNX_INPUT, ONNX_OUTPUT, kerasToOnnx } from './onnx/keras-to-onnx';
import { onnxModel } from './onnx/proto';

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

/** The ONNX bytes of `tier` at `scale`, converted from the package's model files. */
async function esrganOnnxBytes(tier: UpscaleTier, scale: EsrganScale): Promise<Uint8Array> {
  const file = await readLayersModel(esrganModelFile(tier, scale));
  return onnxModel(kerasToOnnx(file, { inputMax: ESRGAN_MODELS[tier].inputMax }));
}

/**
 * The warm session of `tier` at `scale` with `threads` intra-op threads (created once per
 * thread and kept). Spinning is off: idle engine threads then leave the CPU to the server.
 */
function loadEsrganSession(
  tier: UpscaleTier,
  scale: EsrganScale,
  threads: number,
): Promise<Ort.InferenceSession> {
  const key = `${tier}/${scale}/${threads}`;
  let session = sessions.get(key);
  if (!session) {
    session = (async () => {
      const [ort, bytes] = await Promise.all([loadRuntime(), esrganOnnxBytes(tier, scale)]);
      return ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        // Without the arena a 256 px tile of the thick model peaks near 0.6 GB and gives it back.
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
): Promise<TileModel> {
  const [ort, session] = await Promise.all([
    loadRuntime(),
    loadEsrganSession(tier, scale, threads),
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
