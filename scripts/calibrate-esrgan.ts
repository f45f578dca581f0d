/**
 * Measures the activation ranges that the int8 best tier is quantised with
 * (server/engines/onnx/quantize.ts, docs/architecture.md §8) and writes them to
 * server/engines/onnx/esrgan-best-ranges.json. The ranges come from the calibration photos
 * (server/engines/calibration-photos/), never from the benchmark's reference photos: each photo is
 * reduced by the model's scale (sharp's bicubic), as an input to upscale would be, and the float
 * model is run on it with every tensor that enters or leaves a convolution as an extra output.
 *
 * Usage: npx tsx scripts/calibrate-esrgan.ts
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { ESRGAN_MODELS, esrganModelFile } from '../server/engines/esrgan-models';
import { readLayersModel } from '../server/engines/layers-model-file';
import { ONNX_INPUT, kerasToOnnx } from '../server/engines/onnx/keras-to-onnx';
import { onnxModel } from '../server/engines/onnx/proto';
import { calibrationTensors, withTaps } from '../server/engines/onnx/quantize';

const photos = fileURLToPath(new URL('../server/engines/calibration-photos/', import.meta.url));
const out = fileURLToPath(
  new URL('../server/engines/onnx/esrgan-best-ranges.json', import.meta.url),
);
/** The largest input side run at once: the taps of a 64 px input take ~0.5 GB. */
const MAX_SIDE = 64;

const round = (v: number): number => Number(v.toPrecision(6));

const result: Record<string, Record<string, [number, number]>> = {};
const files = (await readdir(photos)).filter((f) => f.endsWith('.png')).sort();
for (const scale of [2, 4, 8] as const) {
  const graph = kerasToOnnx(await readLayersModel(esrganModelFile('best', scale)), {
    inputMax: ESRGAN_MODELS.best.inputMax,
  });
  const names = calibrationTensors(graph);
  const session = await ort.InferenceSession.create(onnxModel(withTaps(graph, names)), {
    graphOptimizationLevel: 'basic',
  });
  const ranges = new Map<string, [number, number]>(names.map((n) => [n, [Infinity, -Infinity]]));
  for (const file of files) {
    const image = sharp(await readFile(photos + file)).removeAlpha();
    const { width = 0, height = 0 } = await image.metadata();
    const side = Math.min(MAX_SIDE, Math.floor(width / scale), Math.floor(height / scale));
    const { data } = await image
      .resize(Math.floor(width / scale), Math.floor(height / scale), { kernel: 'cubic' })
      .extract({ left: 0, top: 0, width: side, height: side })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const input = new ort.Tensor('float32', Float32Array.from(data), [1, side, side, 3]);
    const taps = await session.run({ [ONNX_INPUT]: input });
    for (const name of names) {
      const values = taps[name]?.data;
      const range = ranges.get(name);
      if (!(values instanceof Float32Array) || !range) throw new Error(`no tap ${name}`);
      for (const v of values) {
        if (v < range[0]) range[0] = v;
        if (v > range[1]) range[1] = v;
      }
    }
    process.stderr.write(`x${scale} ${file}\n`);
  }
  result[`x${scale}`] = Object.fromEntries(
    [...ranges].map(([n, [min, max]]) => [n, [round(min), round(max)]]),
  );
}
await writeFile(out, `${JSON.stringify(result, null, 1)}\n`);
process.stderr.write(`wrote ${out}\n`);
