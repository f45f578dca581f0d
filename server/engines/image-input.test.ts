import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_LIMITS, ImageInputError, inspectImage } from './image-input';
import { gradientPng } from './test-images';

async function refusal(bytes: Uint8Array, limits = DEFAULT_IMAGE_LIMITS): Promise<ImageInputError> {
  const error: unknown = await inspectImage(bytes, limits).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageInputError);
  return error as ImageInputError;
}

describe('inspectImage', () => {
  it('accepts PNG, JPEG and WebP and reports their size', async () => {
    const png = await gradientPng(40, 30);
    expect(await inspectImage(png)).toEqual({ format: 'png', width: 40, height: 30 });
    expect(await inspectImage(await sharp(png).jpeg().toBuffer())).toEqual({
      format: 'jpeg',
      width: 40,
      height: 30,
    });
    expect(await inspectImage(await sharp(png).webp().toBuffer())).toEqual({
      format: 'webp',
      width: 40,
      height: 30,
    });
  });

  it('reports the displayed size of an EXIF-rotated JPEG', async () => {
    const jpeg = await sharp(await gradientPng(40, 30))
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await inspectImage(jpeg)).toEqual({ format: 'jpeg', width: 30, height: 40 });
  });

  it('refuses bytes that are not an image', async () => {
    expect(
      (await refusal(new TextEncoder().encode('hello, this is plain text and not a picture'))).code,
    ).toBe('not-an-image');
    expect((await refusal(new Uint8Array(0))).code).toBe('not-an-image');
    expect((await refusal(new TextEncoder().encode('%PDF-1.7\n...'))).code).toBe('not-an-image');
  });

  it('refuses a truncated PNG as not an image', async () => {
    const png = await gradientPng(40, 30);
    const error = await refusal(png.subarray(0, 20));
    expect(error.code).toBe('not-an-image');
    expect(error.message).toMatch(/corrupt|truncated/);
  });

  it('refuses GIF, TIFF and SVG as unsupported formats', async () => {
    const png = await gradientPng(16, 16);
    const gif = await sharp(png).gif().toBuffer();
    const gifError = await refusal(gif);
    expect(gifError.code).toBe('unsupported-format');
    expect(gifError.message).toContain('GIF');
    expect((await refusal(await sharp(png).tiff().toBuffer())).code).toBe('unsupported-format');
    const svg = new TextEncoder().encode(
      '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
    );
    const svgError = await refusal(svg);
    expect(svgError.code).toBe('unsupported-format');
    expect(svgError.message).toContain('SVG');
  });

  it('refuses an animated WebP', async () => {
    const first = await gradientPng(16, 16);
    const second = await sharp(first).negate().png().toBuffer();
    const animated = await sharp([first, second], { join: { animated: true } })
      .webp()
      .toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(2);
    expect((await refusal(animated)).code).toBe('unsupported-format');
  });

  it('refuses an image over 40 MP from its header (8000 × 6000)', async () => {
    const big = await sharp({
      create: { width: 8000, height: 6000, channels: 3, background: '#808080' },
    })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const error = await refusal(big);
    expect(error.code).toBe('too-many-pixels');
    expect(error.message).toContain('8000×6000');
    // The same file passes under a higher limit.
    expect(
      await inspectImage(big, { maxPixels: 50_000_000, maxBytes: DEFAULT_IMAGE_LIMITS.maxBytes }),
    ).toMatchObject({ width: 8000, height: 6000 });
  });

  it('refuses files over the byte limit before looking at them', async () => {
    const png = await gradientPng(40, 30);
    const error = await refusal(png, { maxPixels: 1e9, maxBytes: png.length - 1 });
    expect(error.code).toBe('too-large');
  });
});
