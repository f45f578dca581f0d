import { describe, expect, it } from 'vitest';
import { backProject } from './back-projection';

/** A smooth RGB test pattern of `w × h` in 0..255. */
function pattern(w: number, h: number, phase = 0): Float32Array {
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++)
        out[(y * w + x) * 3 + c] =
          128 + 90 * Math.sin((x + phase) / (2 + c)) * Math.cos((y - phase) / (3 + c));
  return out;
}

/** Mean absolute difference between `input` and `upscaled` reduced by box averaging. */
function boxError(upscaled: Float32Array, input: Float32Array, w: number, scale: number): number {
  const h = input.length / 3 / w;
  let sum = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++)
            v += upscaled[((y * scale + dy) * w * scale + x * scale + dx) * 3 + c] ?? 0;
        sum += Math.abs(v / scale / scale - (input[(y * w + x) * 3 + c] ?? 0));
      }
  return sum / input.length;
}

describe('back-projection', () => {
  it('leaves a flat image flat', () => {
    const input = new Float32Array(8 * 6 * 3).fill(77);
    const up = new Float32Array(32 * 24 * 3).fill(77);
    backProject(up, input, 8, 6, 4);
    for (const v of up) expect(v).toBeCloseTo(77, 3);
  });

  it('pulls an upscale that disagrees with its input back towards it', () => {
    const input = pattern(16, 12);
    // A wrong upscale: the pattern shifted, so it does not reduce to the input.
    const up = pattern(64, 48, 3);
    const before = boxError(up, input, 16, 4);
    backProject(up, input, 16, 12, 4);
    const after = boxError(up, input, 16, 4);
    expect(before).toBeGreaterThan(5);
    expect(after).toBeLessThan(before / 2);
    for (const v of up) expect(v >= 0 && v <= 255).toBe(true);
  });

  it('refuses buffers whose sizes do not match', () => {
    expect(() => backProject(new Float32Array(10), new Float32Array(12), 2, 2, 2)).toThrow(
      RangeError,
    );
  });
});
