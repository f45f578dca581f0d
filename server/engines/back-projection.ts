/**
 * Iterative back-projection (Irani & Peleg), the best tier's post-step (docs/architecture.md §8):
 * the upscaled tile is reduced back to the input's size with the antialiased bicubic kernel the
 * ESRGAN models were trained with (MATLAB `imresize`), the difference from the input is enlarged
 * with bicubic and added, so that the result, reduced, reproduces the input pixels more closely.
 * It works on one tile with its context margin, so it is bounded by the tile like the model.
 */

interface Taps {
  /** For each output index, `count` input indices and weights, flattened. */
  at: Int32Array;
  w: Float32Array;
  count: number;
}

/** Keys' cubic with a = −0.5, MATLAB's bicubic kernel. */
function cubic(x: number): number {
  const t = Math.abs(x);
  if (t <= 1) return 1.5 * t ** 3 - 2.5 * t ** 2 + 1;
  if (t < 2) return -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2;
  return 0;
}

const tapsCache = new Map<string, Taps>();

/**
 * The taps of a bicubic resize from `from` to `to` samples (pixel centres aligned, edges
 * replicated; widened by the ratio when reducing, as MATLAB's antialiasing does).
 */
function taps(from: number, to: number): Taps {
  const key = `${from}/${to}`;
  const cached = tapsCache.get(key);
  if (cached) return cached;
  const ratio = to / from;
  const widen = ratio < 1 ? 1 / ratio : 1;
  const count = Math.ceil(4 * widen) + 2;
  const at = new Int32Array(to * count);
  const w = new Float32Array(to * count);
  for (let o = 0; o < to; o++) {
    const centre = (o + 0.5) / ratio - 0.5;
    const first = Math.floor(centre - 2 * widen);
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const i = first + k;
      const weight = cubic((centre - i) / widen);
      at[o * count + k] = Math.min(from - 1, Math.max(0, i));
      w[o * count + k] = weight;
      sum += weight;
    }
    for (let k = 0; k < count; k++) w[o * count + k] = (w[o * count + k] ?? 0) / (sum || 1);
  }
  const made = { at, w, count };
  if (tapsCache.size > 64) tapsCache.clear();
  tapsCache.set(key, made);
  return made;
}

/** Resizes packed RGB floats from `w × h` to `outW × outH` with bicubic (separable). */
function resize(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  const tx = taps(w, outW);
  const ty = taps(h, outH);
  const rows = new Float32Array(outW * h * 3);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < outW; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < tx.count; k++) {
        const weight = tx.w[x * tx.count + k] ?? 0;
        const i = row + (tx.at[x * tx.count + k] ?? 0) * 3;
        r += (src[i] ?? 0) * weight;
        g += (src[i + 1] ?? 0) * weight;
        b += (src[i + 2] ?? 0) * weight;
      }
      const o = (y * outW + x) * 3;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
    }
  }
  const out = new Float32Array(outW * outH * 3);
  const stride = outW * 3;
  for (let y = 0; y < outH; y++) {
    const o = y * stride;
    for (let k = 0; k < ty.count; k++) {
      const weight = ty.w[y * ty.count + k] ?? 0;
      const i = (ty.at[y * ty.count + k] ?? 0) * stride;
      for (let x = 0; x < stride; x++) out[o + x] = (out[o + x] ?? 0) + (rows[i + x] ?? 0) * weight;
    }
  }
  return out;
}

/**
 * Back-projects `upscaled` (packed RGB floats, `width·scale × height·scale`) onto `input`
 * (`width × height`), in place, `rounds` times with step `step`. Values are clipped to 0..255
 * after each round, as the output will be.
 */
export function backProject(
  upscaled: Float32Array,
  input: Float32Array,
  width: number,
  height: number,
  scale: number,
  rounds = 2,
  step = 1,
): void {
  const outW = width * scale;
  const outH = height * scale;
  if (upscaled.length !== outW * outH * 3 || input.length !== width * height * 3)
    throw new RangeError('back-projection: the sizes do not match');
  for (let round = 0; round < rounds; round++) {
    const reduced = resize(upscaled, outW, outH, width, height);
    for (let i = 0; i < reduced.length; i++) reduced[i] = (input[i] ?? 0) - (reduced[i] ?? 0);
    const error = resize(reduced, width, height, outW, outH);
    for (let i = 0; i < upscaled.length; i++)
      upscaled[i] = Math.min(255, Math.max(0, (upscaled[i] ?? 0) + step * (error[i] ?? 0)));
  }
}
