/** Helpers the engines share to open checked input and move between PNG and raw pixels. */
import sharp, { type Sharp } from 'sharp';
import {
  DEFAULT_IMAGE_LIMITS,
  type ImageInfo,
  type ImageLimits,
  inspectImage,
} from './image-input';

/** An engine's image output: always PNG. */
export interface ImageResult {
  /** PNG bytes. */
  image: Uint8Array;
  width: number;
  height: number;
  format: 'png';
}

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

export interface OpenedImage {
  info: ImageInfo;
  hasAlpha: boolean;
  /** A fresh sharp pipeline of the input, auto-oriented (EXIF), 8 bits per channel. */
  pipeline(): Sharp;
}

/** Checks `bytes` with inspectImage (throws ImageInputError) and returns a way to decode them. */
export async function openImage(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<OpenedImage> {
  const info = await inspectImage(bytes, limits);
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  return {
    info,
    hasAlpha: meta.hasAlpha,
    pipeline: () =>
      sharp(bytes, { limitInputPixels: Math.max(1, Math.ceil(limits.maxPixels)) }).autoOrient(),
  };
}

/** Decodes a pipeline to packed 8-bit sRGB (3 channels) or sRGB + alpha (4 channels). */
export async function toRaw(pipeline: Sharp, channels: 3 | 4): Promise<RawImage> {
  const p = pipeline.toColourspace('srgb');
  const shaped = channels === 3 ? p.removeAlpha() : p.ensureAlpha();
  const { data, info } = await shaped.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== channels)
    throw new Error(`Expected ${channels} channels, got ${info.channels}.`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels,
  };
}

/** Decodes a single-band pipeline (a mask or an extracted alpha) to packed 8-bit greyscale. */
export async function toRawGrey(pipeline: Sharp): Promise<Uint8Array> {
  const { data, info } = await pipeline
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`Expected 1 channel, got ${info.channels}.`);
  return asUint8(data);
}

/** Encodes packed raw pixels as PNG. */
export async function rawToPng(raw: RawImage): Promise<ImageResult> {
  const png = await sharp(raw.data, {
    raw: { width: raw.width, height: raw.height, channels: raw.channels },
    limitInputPixels: false,
  })
    .png()
    .toBuffer();
  return { image: asUint8(png), width: raw.width, height: raw.height, format: 'png' };
}

/** A Uint8Array over exactly the bytes of a Buffer (no copy). */
export function asUint8(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
