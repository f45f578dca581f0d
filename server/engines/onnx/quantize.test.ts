import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ESRGAN_MODELS, esrganModelFile } from '../esrgan-models';
import { esrganUpscaleRgb } from '../esrgan';
import { onnxTileModel } from '../esrgan-onnx';
import { readLayersModel } from '../layers-model-file';
import { kerasToOnnx } from './keras-to-onnx';
import { calibrationTensors } from './quantize';

const rangesFile = new URL('./esrgan-best-ranges.json', import.meta.url);
const photo = new URL('../calibration-photos/ihc.png', import.meta.url);

describe('the int8 best tier', () => {
  it.each([2, 4, 8] as const)(
    'has a calibrated range for every quantised tensor at ×%i',
    async (scale) => {
      const ranges = (JSON.parse(await readFile(rangesFile, 'utf8')) as Record<string, object>)[
        `x${scale}`
      ];
      const graph = kerasToOnnx(await readLayersModel(esrganModelFile('best', scale)), {
        inputMax: ESRGAN_MODELS.best.inputMax,
      });
      const names = calibrationTensors(graph);
      expect(names.length).toBeGreaterThan(150);
      expect(Object.keys(ranges ?? {}).sort()).toEqual([...names].sort());
    },
  );

  it('stays within a few levels of the float model on a photograph', async () => {
    const [w, h] = [40, 32];
    const { data } = await sharp(await readFile(photo))
      .resize(w, h, { kernel: 'cubic', fit: 'fill' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const input = Float32Array.from(data);
    const float = await (await onnxTileModel('best', 4, 1, 'float32'))(input, w, h);
    const int8 = await (await onnxTileModel('best', 4, 1, 'int8'))(input, w, h);
    expect(int8.length).toBe(float.length);
    let sum = 0;
    let same = 0;
    for (let i = 0; i < float.length; i++) {
      const d = Math.abs((float[i] ?? 0) - (int8[i] ?? 0));
      sum += d;
      if (d < 1e-3) same++;
    }
    // Quantised, so not identical; close on the 0..255 scale.
    expect(same / float.length).toBeLessThan(0.5);
    expect(sum / float.length).toBeLessThan(1.5);
  }, 120_000);

  it('is refused for the fast tier and for unknown precisions', async () => {
    await expect(onnxTileModel('fast', 4, 1, 'int8')).rejects.toMatchObject({ code: 'bad-params' });
    const rgb = new Uint8Array(4 * 4 * 3);
    await expect(
      esrganUpscaleRgb(rgb, 4, 4, 4, { tier: 'best', precision: 'int4' as 'int8' }, () => {}),
    ).rejects.toMatchObject({ code: 'bad-params' });
  });
});
