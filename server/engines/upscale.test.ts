import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineError, isAbortError } from './errors';
import { upscale } from './upscale';
import { meanAbsDiff, pixels, psnr, rgbPixels, scenePng } from './test-images';

describe('upscale', () => {
  let highRes: Buffer;
  let lowRes: Buffer;

  beforeAll(async () => {
    // The reference is rendered at 256 px; the input is that picture reduced to 64 px, as a
    // camera or a generator would have produced it at the lower resolution.
    highRes = await scenePng(256);
    lowRes = await sharp(highRes).resize(64, 64, { kernel: 'cubic' }).png().toBuffer();
  });

  it('ESRGAN x4 gives the right size and recovers the high-resolution original better than nearest-neighbour', async () => {
    const progress: number[] = [];
    const result = await upscale(lowRes, { factor: 4 }, (f) => progress.push(f));
    expect(result.format).toBe('png');
    expect([result.width, result.height]).toEqual([256, 256]);
    const meta = await sharp(result.image).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 256, 256]);

    const reference = (await rgbPixels(highRes)).data;
    const esrgan = (await rgbPixels(result.image)).data;
    const nearest = (
      await rgbPixels(await sharp(lowRes).resize(256, 256, { kernel: 'nearest' }).png().toBuffer())
    ).data;
    const esrganPsnr = psnr(esrgan, reference);
    const nearestPsnr = psnr(nearest, reference);
    expect(esrganPsnr).toBeGreaterThan(nearestPsnr + 0.3);

    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('ESRGAN x2 handles a non-square image', async () => {
    const input = await sharp(highRes).resize(48, 40, { fit: 'fill' }).png().toBuffer();
    const result = await upscale(input, { factor: 2 });
    expect([result.width, result.height]).toEqual([96, 80]);
    const reference = (
      await rgbPixels(await sharp(highRes).resize(96, 80, { fit: 'fill' }).png().toBuffer())
    ).data;
    const out = (await rgbPixels(result.image)).data;
    // Sanity: the picture is still the same picture.
    expect(meanAbsDiff(out, reference)).toBeLessThan(12);
  });

  it('ESRGAN x8 runs the x8 model', async () => {
    const input = await sharp(highRes).resize(24, 24).png().toBuffer();
    const result = await upscale(input, { factor: 8 });
    expect([result.width, result.height]).toEqual([192, 192]);
  });

  it('tiled output matches the untiled output (no seams)', async () => {
    const input = await sharp(highRes).resize(56, 56).png().toBuffer();
    const whole = (await rgbPixels((await upscale(input, { factor: 4, tileSize: 128 })).image))
      .data;
    const progress: number[] = [];
    const tiled = (
      await rgbPixels(
        (
          await upscale(input, { factor: 4, tileSize: 16, tilePadding: 12 }, (f) =>
            progress.push(f),
          )
        ).image,
      )
    ).data;
    // 4 × 4 tiles reported one by one (plus the start and the end).
    expect(progress.filter((f) => f > 0 && f < 1).length).toBeGreaterThanOrEqual(15);
    expect(meanAbsDiff(tiled, whole)).toBeLessThan(0.5);
    let worst = 0;
    for (let i = 0; i < whole.length; i++)
      worst = Math.max(worst, Math.abs((whole[i] ?? 0) - (tiled[i] ?? 0)));
    expect(worst).toBeLessThanOrEqual(8);
  });

  it('lanczos mode resizes with sharp', async () => {
    const result = await upscale(lowRes, { factor: 4, mode: 'lanczos' });
    expect([result.width, result.height]).toEqual([256, 256]);
    const expected = await sharp(lowRes).resize(256, 256, { kernel: 'lanczos3' }).raw().toBuffer();
    expect(meanAbsDiff((await rgbPixels(result.image)).data, expected)).toBeLessThan(0.01);
  });

  it('keeps the alpha channel', async () => {
    const rgba = await sharp(lowRes)
      .ensureAlpha()
      .composite([
        {
          input: Buffer.from(
            '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="32" height="64" fill="#000"/></svg>',
          ),
          blend: 'dest-out',
        },
      ])
      .png()
      .toBuffer();
    const result = await upscale(rgba, { factor: 2 });
    const px = await pixels(result.image);
    expect(px.channels).toBe(4);
    expect(px.data[(10 * px.width + 10) * 4 + 3]).toBeLessThan(10); // left half transparent
    expect(px.data[(10 * px.width + 110) * 4 + 3]).toBeGreaterThan(245); // right half opaque
  });

  it('refuses outputs over the limit and bad factors', async () => {
    await expect(upscale(lowRes, { factor: 4, maxOutputPixels: 100 * 100 })).rejects.toMatchObject({
      code: 'too-many-pixels',
    });
    await expect(upscale(lowRes, { factor: 3 as unknown as 4 })).rejects.toBeInstanceOf(
      EngineError,
    );
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    const run = upscale(
      lowRes,
      { factor: 4, tileSize: 16 },
      (f) => {
        if (f > 0.2) controller.abort();
      },
      controller.signal,
    );
    const error: unknown = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAbortError(error)).toBe(true);
  });
});
