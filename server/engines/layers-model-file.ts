/**
 * Reads a TensorFlow.js layers model (model.json + its weight shards) from a folder, without
 * loading tfjs: the topology as JSON, the weight specs and the weights as one buffer.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EngineError } from './errors';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** Present when the weights were quantised; this reader takes float32 weights only. */
  quantization?: unknown;
}

export interface LayersModelFile {
  /** The `modelTopology` of model.json (a Keras model config). */
  modelTopology: unknown;
  weightSpecs: WeightSpec[];
  /** Every shard, concatenated in manifest order. */
  weightData: ArrayBuffer;
}

function isWeightSpec(value: unknown): value is WeightSpec {
  return (
    typeof value === 'object' &&
    value !== null &&
    'name' in value &&
    typeof value.name === 'string' &&
    'shape' in value &&
    Array.isArray(value.shape) &&
    value.shape.every((d) => Number.isInteger(d)) &&
    'dtype' in value &&
    typeof value.dtype === 'string'
  );
}

interface WeightsGroup {
  paths: string[];
  weights: WeightSpec[];
}

function isWeightsGroup(value: unknown): value is WeightsGroup {
  return (
    typeof value === 'object' &&
    value !== null &&
    'paths' in value &&
    Array.isArray(value.paths) &&
    value.paths.every((p) => typeof p === 'string') &&
    'weights' in value &&
    Array.isArray(value.weights) &&
    value.weights.every(isWeightSpec)
  );
}

export async function readLayersModel(modelJsonPath: string): Promise<LayersModelFile> {
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
    modelTopology: parsed.modelTopology,
    weightSpecs: manifest.flatMap((group) => group.weights),
    weightData,
  };
}
