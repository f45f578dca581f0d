/**
 * The ESRGAN models on their own runtime, @tensorflow/tfjs with the WebAssembly backend, as
 * UpscalerJS runs them: the reference that the onnxruntime conversion is checked against, and a
 * slower alternative (`runtime: 'tfjs'`). The RRDN models need UpscalerJS's two custom layers,
 * MultiplyBeta and PixelShuffle{n}x, registered before loading; they are registered here as the
 * UpscalerJS model definitions do. Weights and .wasm binaries are read from node_modules.
 */
import * as tf from '@tensorflow/tfjs';
import { dirname } from 'node:path';
import type { UpscaleTier } from '../../shared/pricing/book';
import { EngineError } from './errors';
import { ESRGAN_MODELS, type EsrganScale, esrganModelFile } from './esrgan-models';
import type { TileModel } from './esrgan-onnx';
import { readLayersModel } from './layers-model-file';
import { packageFile } from './package-files';

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

const first = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor =>
  Array.isArray(inputs) ? (inputs[0] ?? tf.scalar(0)) : inputs;

/** UpscalerJS's MultiplyBeta: the residual scaling of RRDN, a fixed × 0.2. */
class MultiplyBeta extends tf.layers.Layer {
  static className = 'MultiplyBeta';
  constructor() {
    super({});
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(first(inputs), 0.2);
  }
}

/** UpscalerJS's PixelShuffle{n}x: depth to space by the model's scale, to 3 channels. */
function pixelShuffle(scale: number): tf.serialization.SerializableConstructor<tf.layers.Layer> {
  return class PixelShuffle extends tf.layers.Layer {
    static className = `PixelShuffle${scale}x`;
    constructor() {
      super({});
    }
    override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
      const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
      return [s[0] ?? null, s[1] ?? null, s[2] ?? null, 3];
    }
    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.depthToSpace(first(inputs) as tf.Tensor4D, scale, 'NHWC');
    }
  };
}

let layersRegistered = false;

/** Registers the custom layers of the RRDN models with tfjs (once). */
export function registerEsrganLayers(): void {
  if (layersRegistered) return;
  tf.serialization.registerClass(MultiplyBeta);
  for (const scale of [2, 3, 4, 8]) tf.serialization.registerClass(pixelShuffle(scale));
  layersRegistered = true;
}

/** A tfjs IOHandler over a layers model folder (tfjs's http loader cannot read files). */
function fileSystemHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const file = await readLayersModel(modelJsonPath);
      return {
        modelTopology: file.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: file.weightSpecs as tf.io.WeightsManifestEntry[],
        weightData: file.weightData,
        format: 'layers-model',
      };
    },
  };
}

const models = new Map<string, Promise<tf.LayersModel>>();

/** Loads (once per thread) the tfjs model of `tier` at `scale`. */
export function loadTfjsEsrgan(tier: UpscaleTier, scale: EsrganScale): Promise<tf.LayersModel> {
  const key = `${tier}/${scale}`;
  let model = models.get(key);
  if (!model) {
    model = (async () => {
      await ensureWasmBackend();
      registerEsrganLayers();
      return tf.loadLayersModel(fileSystemHandler(esrganModelFile(tier, scale)));
    })();
    models.set(key, model);
    model.catch(() => models.delete(key));
  }
  return model;
}

/** A TileModel on tfjs, in the same 0..255 NHWC terms as the onnxruntime one. */
export async function tfjsTileModel(tier: UpscaleTier, scale: EsrganScale): Promise<TileModel> {
  const model = await loadTfjsEsrgan(tier, scale);
  const unit = ESRGAN_MODELS[tier].inputMax === 1;
  return async (patch, width, height) => {
    const result = tf.tidy(() => {
      const input = tf.tensor4d(patch, [1, height, width, 3]);
      const predicted = model.predict(unit ? tf.div(input, 255) : input);
      if (Array.isArray(predicted))
        throw new EngineError('engine-failed', 'The ESRGAN model returned several outputs.');
      return unit ? tf.mul(predicted, 255) : predicted;
    });
    try {
      const raw = await result.data();
      if (!(raw instanceof Float32Array))
        throw new EngineError('engine-failed', 'The ESRGAN model returned a non-float tensor.');
      return raw;
    } finally {
      result.dispose();
    }
  };
}
