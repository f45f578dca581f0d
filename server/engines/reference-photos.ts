/**
 * The upscale quality measurement on real photographs (reference-photos/, licences in
 * reference-photos/SOURCES.md): each photo is reduced ×4 with antialiased bicubic (MATLAB
 * `imresize`), upscaled back by the engine, and compared with the original by luma PSNR with the
 * border left out, as super-resolution benchmarks report it. The gain of a tier is its PSNR minus
 * the PSNR of a Lanczos-3 resize of the same input. Used by the engine tests and the benchmarks.
 */
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { UpscaleTier } from '../../shared/pricing/book';
import { psnr } from './test-images';
import { type UpscaleParams, upscale } from './upscale';

const folder = fileURLToPath(new URL('./reference-photos/', import.meta.url));

export interface ReferencePhoto {
  name: string;
  width: number;
  height: number;
  /** Packed 8-bit RGB. */
  rgb: Uint8Array;
}

/** Every PNG of reference-photos/, as RGB, in name order. */
export async function referencePhotos(): Promise<ReferencePhoto[]> {
  const names = (await readdir(folder)).filter((n) => n.endsWith('.png')).sort();
  return Promise.all(
    names.map(async (file) => {
      const { data, info } = await sharp(await readFile(folder + file))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return {
        name: file.replace(/\.png$/, ''),
        width: info.width,
        height: info.height,
        rgb: data,
      };
    }),
  );
}

/** Keys' cubic with a = −0.5, MATLAB's bicubic kernel. */
function cubic(x: number): number {
  const t = Math.abs(x);
  if (t <= 1) return 1.5 * t ** 3 - 2.5 * t ** 2 + 1;
  if (t < 2) return -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2;
  return 0;
}

/** For each output index, the input indices and normalised weights (kernel widened by `factor`). */
function contributions(length: number, factor: number): Array<{ at: number[]; w: number[] }> {
  const out: Array<{ at: number[]; w: number[] }> = [];
  for (let o = 0; o < length / factor; o++) {
    const centre = (o + 0.5) * factor - 0.5;
    const at: number[] = [];
    const w: number[] = [];
    let sum = 0;
    for (let i = Math.floor(centre - 2 * factor); i <= Math.ceil(centre + 2 * factor); i++) {
      const weight = cubic((centre - i) / factor);
      if (weight === 0) continue;
      at.push(Math.min(length - 1, Math.max(0, i)));
      w.push(weight);
      sum += weight;
    }
    out.push({ at, w: w.map((v) => v / sum) });
  }
  return out;
}

/**
 * Reduces packed RGB by an integer `factor` with antialiased bicubic, as MATLAB's
 * `imresize(img, 1/factor)` (edges replicated); width and height must be multiples of `factor`.
 */
function bicubicDownscale(
  rgb: Uint8Array,
  width: number,
  height: number,
  factor: number,
): Uint8Array {
  if (width % factor !== 0 || height % factor !== 0)
    throw new RangeError('the size must be a multiple of the factor');
  const w = width / factor;
  const h = height / factor;
  const cx = contributions(width, factor);
  const cy = contributions(height, factor);
  const rows = new Float64Array(w * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < w; x++) {
      const { at, w: weights } = cx[x] ?? { at: [], w: [] };
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < at.length; k++)
          v += (rgb[(y * width + (at[k] ?? 0)) * 3 + c] ?? 0) * (weights[k] ?? 0);
        rows[(y * w + x) * 3 + c] = v;
      }
    }
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const { at, w: weights } = cy[y] ?? { at: [], w: [] };
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < at.length; k++)
          v += (rows[((at[k] ?? 0) * w + x) * 3 + c] ?? 0) * (weights[k] ?? 0);
        out[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
  }
  return out;
}

/** PSNR (dB) of the BT.601 luma of two packed RGB images, leaving out `border` pixels. */
function lumaPsnr(
  a: Uint8Array,
  b: Uint8Array,
  width: number,
  height: number,
  border: number,
): number {
  let sum = 0;
  let n = 0;
  const luma = (p: Uint8Array, i: number): number =>
    16 + (65.481 * (p[i] ?? 0) + 128.553 * (p[i + 1] ?? 0) + 24.966 * (p[i + 2] ?? 0)) / 255;
  for (let y = border; y < height - border; y++)
    for (let x = border; x < width - border; x++) {
      const i = (y * width + x) * 3;
      sum += (luma(a, i) - luma(b, i)) ** 2;
      n++;
    }
  return 10 * Math.log10((255 * 255) / (sum / n));
}

export interface PhotoScore {
  name: string;
  lanczosDb: number;
  tierDb: number;
  /** tierDb − lanczosDb (luma). */
  gainDb: number;
  /** The same gain in RGB PSNR, for comparison. */
  rgbGainDb: number;
  /** Wall time of the tier's upscale, ms. */
  ms: number;
}

const FACTOR = 4;

async function upscaledRgb(input: Uint8Array, params: UpscaleParams): Promise<Uint8Array> {
  const result = await upscale(input, params);
  return sharp(result.image).removeAlpha().raw().toBuffer();
}

/** Scores `tier` (×4) against Lanczos-3 on every reference photo. */
export async function scoreTier(
  tier: UpscaleTier,
  extra: Omit<UpscaleParams, 'factor' | 'tier' | 'mode'> = {},
  photos?: ReferencePhoto[],
): Promise<PhotoScore[]> {
  const scores: PhotoScore[] = [];
  for (const photo of photos ?? (await referencePhotos())) {
    const { width, height } = photo;
    const small = bicubicDownscale(photo.rgb, width, height, FACTOR);
    const input = await sharp(small, {
      raw: { width: width / FACTOR, height: height / FACTOR, channels: 3 },
    })
      .png()
      .toBuffer();
    const lanczos = await upscaledRgb(input, { factor: FACTOR, mode: 'lanczos' });
    const started = performance.now();
    const model = await upscaledRgb(input, { ...extra, factor: FACTOR, tier });
    const ms = performance.now() - started;
    const lanczosDb = lumaPsnr(lanczos, photo.rgb, width, height, FACTOR);
    const tierDb = lumaPsnr(model, photo.rgb, width, height, FACTOR);
    scores.push({
      name: photo.name,
      lanczosDb,
      tierDb,
      gainDb: tierDb - lanczosDb,
      rgbGainDb: psnr(model, photo.rgb) - psnr(lanczos, photo.rgb),
      ms,
    });
  }
  return scores;
}

export const meanGain = (
  scores: readonly PhotoScore[],
  key: 'gainDb' | 'rgbGainDb' = 'gainDb',
): number => scores.reduce((sum, s) => sum + s[key], 0) / Math.max(1, scores.length);
