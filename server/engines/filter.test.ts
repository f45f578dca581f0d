import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { FilterPresets } from '../../shared/pricing/book';
import { EngineError } from './errors';
import { type FilterPreset, applyFilter } from './filter';
import { type Pixels, gradientPng, pixels, rgbPixels, scenePng, solidPng } from './test-images';

const W = 64;
const H = 64;

async function run(input: Uint8Array, preset: FilterPreset, strength = 100): Promise<Pixels> {
  const result = await applyFilter(input, { preset, strength });
  expect([result.width, result.height, result.format]).toEqual([W, H, 'png']);
  return rgbPixels(result.image);
}

/** Sum of squared differences between horizontal and vertical neighbours (local variance). */
function roughness(px: Pixels): number {
  let s = 0;
  for (let y = 0; y < px.height - 1; y++) {
    for (let x = 0; x < px.width - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * px.width + x) * 3 + c;
        s +=
          ((px.data[i] ?? 0) - (px.data[i + 3] ?? 0)) ** 2 +
          ((px.data[i] ?? 0) - (px.data[i + px.width * 3] ?? 0)) ** 2;
      }
    }
  }
  return s / (px.width * px.height);
}

/** Mean HSV saturation 0..1. */
function saturation(px: Pixels): number {
  let s = 0;
  for (let i = 0; i < px.data.length; i += 3) {
    const r = px.data[i] ?? 0;
    const g = px.data[i + 1] ?? 0;
    const b = px.data[i + 2] ?? 0;
    const max = Math.max(r, g, b);
    s += max === 0 ? 0 : (max - Math.min(r, g, b)) / max;
  }
  return s / (px.data.length / 3);
}

function at(px: Pixels, x: number, y: number): [number, number, number] {
  const i = (y * px.width + x) * 3;
  return [px.data[i] ?? 0, px.data[i + 1] ?? 0, px.data[i + 2] ?? 0];
}

describe('filters', () => {
  let colourful: Buffer;
  let scene: Buffer;
  let grey: Buffer;
  let original: Pixels;

  beforeAll(async () => {
    colourful = await gradientPng(W, H);
    scene = await scenePng(W);
    grey = await solidPng(W, H, '#808080');
    original = await rgbPixels(colourful);
  });

  it('covers exactly the presets of the price book', async () => {
    for (const preset of FilterPresets) {
      const out = await run(scene, preset);
      expect(out.data.equals((await rgbPixels(scene)).data), `${preset} changes the picture`).toBe(
        false,
      );
    }
    await expect(
      applyFilter(colourful, { preset: 'vintage' as FilterPreset }),
    ).rejects.toBeInstanceOf(EngineError);
    await expect(applyFilter(colourful, { preset: 'mono', strength: 101 })).rejects.toBeInstanceOf(
      EngineError,
    );
  });

  it('strength 0 leaves every preset unchanged', async () => {
    for (const preset of FilterPresets) {
      const out = await run(colourful, preset, 0);
      expect(out.data.equals(original.data), preset).toBe(true);
    }
  });

  it('mono makes R = G = B; half strength is in between', async () => {
    const full = await run(colourful, 'mono');
    for (let i = 0; i < full.data.length; i += 3) {
      expect(full.data[i]).toBe(full.data[i + 1]);
      expect(full.data[i + 1]).toBe(full.data[i + 2]);
    }
    expect(saturation(await run(colourful, 'mono', 50))).toBeLessThan(saturation(original) * 0.7);
    expect(saturation(await run(colourful, 'mono', 50))).toBeGreaterThan(0.05);
  });

  it('sepia turns grey into warm brown (R > G > B)', async () => {
    const out = await run(grey, 'sepia');
    const [r, g, b] = at(out, 10, 10);
    expect(r).toBeGreaterThan(g);
    expect(g).toBeGreaterThan(b);
  });

  it('vivid raises saturation, more with more strength', async () => {
    const before = saturation(await rgbPixels(scene));
    const half = saturation(await run(scene, 'vivid', 50));
    const full = saturation(await run(scene, 'vivid', 100));
    expect(half).toBeGreaterThan(before);
    expect(full).toBeGreaterThan(half);
  });

  it('cinematic darkens the corners and splits tones (cool shadows, warm highlights)', async () => {
    const flat = await run(grey, 'cinematic');
    const centre = at(flat, W / 2, H / 2).reduce((a, b) => a + b);
    const corner = at(flat, 0, 0).reduce((a, b) => a + b);
    expect(corner).toBeLessThan(centre * 0.8);
    const dark = at(await run(await solidPng(W, H, '#303030'), 'cinematic'), W / 2, H / 2);
    const light = at(await run(await solidPng(W, H, '#d0d0d0'), 'cinematic'), W / 2, H / 2);
    expect(dark[2]).toBeGreaterThan(dark[0]);
    expect(light[0]).toBeGreaterThan(light[2]);
  });

  it('sketch draws dark lines on white paper, in grey', async () => {
    const out = await run(colourful, 'sketch');
    for (let i = 0; i < out.data.length; i += 3) expect(out.data[i]).toBe(out.data[i + 2]);
    // Flat areas are paper-white; the edge of the block is drawn darker.
    expect(at(out, 4, 40)[0]).toBeGreaterThan(230);
    const edge = Math.min(...[15, 16, 17].map((x) => at(out, x, 32)[0]));
    expect(edge).toBeLessThan(200);
  });

  it('posterize leaves few levels per channel', async () => {
    const levels = (px: Pixels): number => new Set([...px.data.filter((_, i) => i % 3 === 0)]).size;
    const input = await gradientPng(W, H);
    const full = await run(input, 'posterize');
    expect(levels(full)).toBeLessThanOrEqual(4);
    const half = levels(await run(input, 'posterize', 50));
    expect(half).toBeGreaterThan(4);
    expect(half).toBeLessThan(levels(original));
  });

  it('pixelate makes blocks of equal pixels', async () => {
    const out = await run(scene, 'pixelate'); // 64 px image: 4 px blocks at full strength
    for (let by = 0; by < H; by += 4) {
      for (let bx = 0; bx < W; bx += 4) {
        const first = at(out, bx, by);
        for (let y = by; y < by + 4; y++)
          for (let x = bx; x < bx + 4; x++) expect(at(out, x, y)).toEqual(first);
      }
    }
    // Neighbouring blocks differ somewhere (it is not a flat image).
    expect(
      new Set(Array.from({ length: 16 }, (_, k) => at(out, k * 4, 32).join())).size,
    ).toBeGreaterThan(4);
  });

  it('blur lowers local variance and sharpen raises it, both with strength', async () => {
    const base = roughness(await rgbPixels(scene));
    const blurHalf = roughness(await run(scene, 'blur', 50));
    const blurFull = roughness(await run(scene, 'blur', 100));
    expect(blurHalf).toBeLessThan(base);
    expect(blurFull).toBeLessThan(blurHalf);
    const sharpHalf = roughness(await run(scene, 'sharpen', 50));
    const sharpFull = roughness(await run(scene, 'sharpen', 100));
    expect(sharpHalf).toBeGreaterThan(base);
    expect(sharpFull).toBeGreaterThan(sharpHalf);
  });

  it('keeps alpha', async () => {
    const rgba = await sharp(colourful).ensureAlpha(0.5).png().toBuffer();
    const out = await pixels((await applyFilter(rgba, { preset: 'sepia', strength: 70 })).image);
    expect(out.channels).toBe(4);
    const alphaIn = (await pixels(rgba)).data[3];
    expect(alphaIn).toBeGreaterThan(100);
    expect(out.data[3]).toBe(alphaIn);
  });
});
