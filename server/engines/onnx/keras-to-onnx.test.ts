import { describe, expect, it } from 'vitest';
import type { UpscaleTier } from '../../../shared/pricing/book';
import { esrganModelFile } from '../esrgan-models';
import { onnxTileModel } from '../esrgan-onnx';
import { tfjsTileModel } from '../esrgan-tfjs';
import { readLayersModel } from '../layers-model-file';
import { kerasToOnnx } from './keras-to-onnx';

/** A deterministic 0..255 patch with edges and texture. */
function patch(width: number, height: number): Float32Array {
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        out[(y * width + x) * 3 + c] =
          (((x * 37 + y * 11 + c * 71) % 97) / 96) * 200 + (x > width / 2 ? 40 : 0) + c * 5;
  return out;
}

describe('ESRGAN models converted to ONNX', () => {
  // The RRDN (best) models use UpscalerJS's custom layers MultiplyBeta and PixelShuffle{n}x.
  it.each([
    ['fast', 2],
    ['fast', 4],
    ['fast', 8],
    ['best', 2],
    ['best', 4],
    ['best', 8],
  ] as Array<[UpscaleTier, 2 | 4 | 8]>)(
    '%s ×%i computes what the model computes on tfjs',
    async (tier, scale) => {
      const [w, h] = [20, 14];
      const input = patch(w, h);
      const reference = await (await tfjsTileModel(tier, scale))(input, w, h);
      const converted = await (await onnxTileModel(tier, scale, 1, 'float32'))(input, w, h);
      expect(converted.length).toBe(w * scale * h * scale * 3);
      expect(reference.length).toBe(converted.length);
      let worst = 0;
      for (let i = 0; i < reference.length; i++)
        worst = Math.max(worst, Math.abs((reference[i] ?? 0) - (converted[i] ?? 0)));
      // Float rounding only, on a 0..255 scale.
      expect(worst).toBeLessThan(0.01);
    },
    60_000,
  );

  it('refuses layers and weights it does not know, never guessing', async () => {
    const file = await readLayersModel(esrganModelFile('fast', 2));
    const topology = JSON.parse(JSON.stringify(file.modelTopology)) as {
      model_config: {
        config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> };
      };
    };
    const layers = topology.model_config.config.layers;
    const conv = layers.find((l) => l.class_name === 'Conv2D');
    if (!conv) throw new Error('no Conv2D layer');

    conv.config.strides = [2, 2];
    expect(() => kerasToOnnx({ ...file, modelTopology: topology }, { inputMax: 255 })).toThrow(
      /strides/,
    );
    conv.config.strides = [1, 1];
    conv.class_name = 'DepthwiseConv2D';
    expect(() => kerasToOnnx({ ...file, modelTopology: topology }, { inputMax: 255 })).toThrow(
      /DepthwiseConv2D/,
    );
    expect(() =>
      kerasToOnnx(
        { ...file, weightData: file.weightData.slice(0, file.weightData.byteLength - 4) },
        { inputMax: 255 },
      ),
    ).toThrow(/shorter/);
  });
});
