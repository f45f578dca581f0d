/**
 * Filter engine: the named presets of the price book (`FilterPresets` in shared/pricing/book.ts),
 * done with sharp and plain pixel arithmetic. `strength` 0..100 either blends the full effect
 * with the original (mono, sepia, cinematic, sketch, sharpen) or scales the effect's own parameter
 * (vivid: saturation and contrast; posterize: number of levels; pixelate: block size; blur:
 * radius). Strength 0 returns the original pixels. Alpha is preserved. Output is PNG.
 */
import sharp from 'sharp';
import { FilterPresets } from '../../shared/pricing/book';
import { EngineError, type ProgressFn, noProgress, throwIfAborted } from './errors';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-input';
import { type ImageResult, type RawImage, openImage, rawToPng, toRaw } from './image-util';

export type FilterPreset = (typeof FilterPresets)[number];

export interface FilterParams {
  preset: FilterPreset;
  /** 0 (no change) to 100 (full effect). Default 100. */
  strength?: number;
  /** Limits on the input (default 40 MP, 50 MB). */
  limits?: ImageLimits;
}

export function isFilterPreset(value: unknown): value is FilterPreset {
  return typeof value === 'string' && (FilterPresets as readonly string[]).includes(value);
}

/** Packed RGB pixels (3 bytes a pixel) of a w × h image. */
interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

type Effect = (src: Rgb, s: number) => Promise<Uint8Array> | Uint8Array;

const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** out = a + (b − a)·s per byte. */
function mix(a: Uint8Array, b: Uint8Array, s: number): Uint8Array {
  if (s >= 1) return b;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++)
    out[i] = clamp255((a[i] ?? 0) + ((b[i] ?? 0) - (a[i] ?? 0)) * s);
  return out;
}

function luma(r: number, g: number, b: number): number {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

async function gaussian(src: Rgb, sigma: number): Promise<Uint8Array> {
  const { data } = await toRaw(
    sharp(src.data, {
      raw: { width: src.width, height: src.height, channels: 3 },
      limitInputPixels: false,
    }).blur(sigma),
    3,
  );
  return data;
}

const effects: Record<FilterPreset, Effect> = {
  mono(src, s) {
    const out = new Uint8Array(src.data.length);
    for (let i = 0; i < out.length; i += 3) {
      const y = clamp255(luma(src.data[i] ?? 0, src.data[i + 1] ?? 0, src.data[i + 2] ?? 0));
      out[i] = out[i + 1] = out[i + 2] = y;
    }
    return mix(src.data, out, s);
  },

  sepia(src, s) {
    const out = new Uint8Array(src.data.length);
    for (let i = 0; i < out.length; i += 3) {
      const r = src.data[i] ?? 0;
      const g = src.data[i + 1] ?? 0;
      const b = src.data[i + 2] ?? 0;
      out[i] = clamp255(0.393 * r + 0.769 * g + 0.189 * b);
      out[i + 1] = clamp255(0.349 * r + 0.686 * g + 0.168 * b);
      out[i + 2] = clamp255(0.272 * r + 0.534 * g + 0.131 * b);
    }
    return mix(src.data, out, s);
  },

  /** More saturation (up to 1.8×) and a little more contrast (up to 1.15×), scaled by strength. */
  vivid(src, s) {
    const sat = 1 + 0.8 * s;
    const contrast = 1 + 0.15 * s;
    const out = new Uint8Array(src.data.length);
    for (let i = 0; i < out.length; i += 3) {
      const r = src.data[i] ?? 0;
      const g = src.data[i + 1] ?? 0;
      const b = src.data[i + 2] ?? 0;
      const y = luma(r, g, b);
      out[i] = clamp255((y + (r - y) * sat - 128) * contrast + 128);
      out[i + 1] = clamp255((y + (g - y) * sat - 128) * contrast + 128);
      out[i + 2] = clamp255((y + (b - y) * sat - 128) * contrast + 128);
    }
    return out;
  },

  /** Teal shadows, warm highlights, a gentle S-curve with lifted blacks, muted colour, a vignette. */
  cinematic(src, s) {
    const { width, height } = src;
    const out = new Uint8Array(src.data.length);
    const cx = (width - 1) / 2;
    const cy = (height - 1) / 2;
    const maxD2 = cx * cx + cy * cy || 1;
    const curve = new Float32Array(256);
    for (let v = 0; v < 256; v++) curve[v] = 255 / (1 + Math.exp(-(v / 255 - 0.5) * 6));
    for (let y = 0, i = 0; y < height; y++) {
      for (let x = 0; x < width; x++, i += 3) {
        const r = src.data[i] ?? 0;
        const g = src.data[i + 1] ?? 0;
        const b = src.data[i + 2] ?? 0;
        const l = luma(r, g, b);
        const t = l / 255 - 0.5; // −0.5 in the shadows … +0.5 in the highlights
        const vignette = 1 - (0.35 * ((x - cx) ** 2 + (y - cy) ** 2)) / maxD2;
        out[i] = clamp255(((curve[clamp255(l + (r - l) * 0.85)] ?? 0) + 40 * t) * vignette);
        out[i + 1] = clamp255(((curve[clamp255(l + (g - l) * 0.85)] ?? 0) + 6 * t) * vignette);
        out[i + 2] = clamp255(((curve[clamp255(l + (b - l) * 0.85)] ?? 0) - 40 * t) * vignette);
      }
    }
    return mix(src.data, out, s);
  },

  /** Pencil sketch: grey image colour-dodged with its blurred negative. */
  async sketch(src, s) {
    const { width, height } = src;
    const grey = new Uint8Array(width * height * 3);
    for (let i = 0; i < grey.length; i += 3) {
      const v = 255 - clamp255(luma(src.data[i] ?? 0, src.data[i + 1] ?? 0, src.data[i + 2] ?? 0));
      grey[i] = grey[i + 1] = grey[i + 2] = v;
    }
    const sigma = Math.min(8, Math.max(1.5, Math.min(width, height) / 150));
    const blurredNegative = await gaussian({ data: grey, width, height }, sigma);
    const out = new Uint8Array(grey.length);
    for (let i = 0; i < out.length; i += 3) {
      const base = 255 - (grey[i] ?? 0);
      const blend = blurredNegative[i] ?? 0;
      const dodged = blend >= 255 ? 255 : Math.min(255, (base * 255) / (255 - blend));
      // Squaring darkens the pencil strokes while paper white stays white.
      const v = clamp255((dodged * dodged) / 255);
      out[i] = out[i + 1] = out[i + 2] = v;
    }
    return mix(src.data, out, s);
  },

  /** 256 levels per channel at strength 0 down to 4 at 100 (geometrically). */
  posterize(src, s) {
    const levels = Math.max(2, Math.round(256 * Math.pow(4 / 256, s)));
    if (levels >= 256) return src.data;
    const step = 255 / (levels - 1);
    const table = new Uint8Array(256);
    for (let v = 0; v < 256; v++) table[v] = clamp255(Math.round(v / step) * step);
    const out = new Uint8Array(src.data.length);
    for (let i = 0; i < out.length; i++) out[i] = table[src.data[i] ?? 0] ?? 0;
    return out;
  },

  /** Square blocks from the top-left corner, each the mean of its pixels; up to 1/16 of the short side. */
  pixelate(src, s) {
    const { width, height, data } = src;
    const maxBlock = Math.max(4, Math.round(Math.min(width, height) / 16));
    const block = Math.max(1, Math.round(1 + s * (maxBlock - 1)));
    if (block === 1) return data;
    const out = new Uint8Array(data.length);
    for (let by = 0; by < height; by += block) {
      for (let bx = 0; bx < width; bx += block) {
        const ye = Math.min(height, by + block);
        const xe = Math.min(width, bx + block);
        let r = 0;
        let g = 0;
        let b = 0;
        for (let y = by; y < ye; y++) {
          for (let x = bx; x < xe; x++) {
            const i = (y * width + x) * 3;
            r += data[i] ?? 0;
            g += data[i + 1] ?? 0;
            b += data[i + 2] ?? 0;
          }
        }
        const n = (ye - by) * (xe - bx);
        const rm = Math.round(r / n);
        const gm = Math.round(g / n);
        const bm = Math.round(b / n);
        for (let y = by; y < ye; y++) {
          for (let x = bx; x < xe; x++) {
            const i = (y * width + x) * 3;
            out[i] = rm;
            out[i + 1] = gm;
            out[i + 2] = bm;
          }
        }
      }
    }
    return out;
  },

  /** Gaussian blur; sigma grows with strength up to 1/50 of the short side (at least 2 px). */
  async blur(src, s) {
    const sigma = s * Math.max(2, Math.min(src.width, src.height) / 50);
    if (sigma < 0.3) return src.data;
    return gaussian(src, sigma);
  },

  /** Unsharp mask: original + 1.5 × (original − blurred), blended by strength. */
  async sharpen(src, s) {
    const sigma = Math.max(1, Math.min(src.width, src.height) / 500);
    const blurred = await gaussian(src, sigma);
    const out = new Uint8Array(src.data.length);
    for (let i = 0; i < out.length; i++)
      out[i] = clamp255((src.data[i] ?? 0) + 1.5 * ((src.data[i] ?? 0) - (blurred[i] ?? 0)));
    return mix(src.data, out, s);
  },
};

/** Applies `params.preset` to `input` (PNG, JPEG or WebP); returns PNG of the same size. */
export async function applyFilter(
  input: Uint8Array,
  params: FilterParams,
  onProgress: ProgressFn = noProgress,
  signal?: AbortSignal,
): Promise<ImageResult> {
  if (!isFilterPreset(params.preset))
    throw new EngineError(
      'bad-params',
      `Unknown filter preset; use one of ${FilterPresets.join(', ')}.`,
    );
  const strength = params.strength ?? 100;
  if (
    typeof strength !== 'number' ||
    !Number.isFinite(strength) ||
    strength < 0 ||
    strength > 100
  ) {
    throw new EngineError('bad-params', 'strength must be a number from 0 to 100.');
  }
  throwIfAborted(signal);
  const opened = await openImage(input, params.limits ?? DEFAULT_IMAGE_LIMITS);
  onProgress(0);
  const source = await toRaw(opened.pipeline(), opened.hasAlpha ? 4 : 3);
  throwIfAborted(signal);
  onProgress(0.2);
  const { rgb, alpha } = splitAlpha(source);
  const s = strength / 100;
  const filtered = s === 0 ? rgb.data : await effects[params.preset](rgb, s);
  throwIfAborted(signal);
  onProgress(0.8);
  const result = await rawToPng(
    joinAlpha({ data: filtered, width: rgb.width, height: rgb.height }, alpha),
  );
  onProgress(1);
  return result;
}

function splitAlpha(raw: RawImage): { rgb: Rgb; alpha: Uint8Array | null } {
  if (raw.channels === 3)
    return { rgb: { data: raw.data, width: raw.width, height: raw.height }, alpha: null };
  const n = raw.width * raw.height;
  const data = new Uint8Array(n * 3);
  const alpha = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    data[i * 3] = raw.data[i * 4] ?? 0;
    data[i * 3 + 1] = raw.data[i * 4 + 1] ?? 0;
    data[i * 3 + 2] = raw.data[i * 4 + 2] ?? 0;
    alpha[i] = raw.data[i * 4 + 3] ?? 0;
  }
  return { rgb: { data, width: raw.width, height: raw.height }, alpha };
}

function joinAlpha(rgb: Rgb, alpha: Uint8Array | null): RawImage {
  if (!alpha) return { data: rgb.data, width: rgb.width, height: rgb.height, channels: 3 };
  const n = rgb.width * rgb.height;
  const data = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    data[i * 4] = rgb.data[i * 3] ?? 0;
    data[i * 4 + 1] = rgb.data[i * 3 + 1] ?? 0;
    data[i * 4 + 2] = rgb.data[i * 3 + 2] ?? 0;
    data[i * 4 + 3] = alpha[i] ?? 0;
  }
  return { data, width: rgb.width, height: rgb.height, channels: 4 };
}
