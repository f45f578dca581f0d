/**
 * A cutout's preview before it is confirmed (docs/architecture.md §8): at most half the size
 * of the result and 256 px, with diagonal stripes over it, so it shows what was cut out without
 * being the product. PNG, alpha kept.
 */
import sharp from 'sharp';

const PREVIEW_MAX_SIDE = 256;

export interface Preview {
  bytes: Buffer;
  width: number;
  height: number;
}

export async function markedPreview(image: Uint8Array): Promise<Preview> {
  const meta = await sharp(image).metadata();
  const w = meta.width ?? 1;
  const h = meta.height ?? 1;
  const side = Math.max(1, Math.min(PREVIEW_MAX_SIDE, Math.floor(Math.max(w, h) / 2)));
  const scale = side / Math.max(w, h);
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  const stripes = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      '<defs><pattern id="s" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="3" height="10" fill="#808080" fill-opacity="0.6"/></pattern></defs>' +
      '<rect width="100%" height="100%" fill="url(#s)"/></svg>',
  );
  const bytes = await sharp(image)
    .resize({ width, height, fit: 'fill' })
    .composite([{ input: stripes, blend: 'over' }])
    .png()
    .toBuffer();
  return { bytes, width, height };
}
