/** Request checks and output normalisation shared by the providers. */
import sharp from 'sharp';
import { EngineError } from '../errors';
import { ImageInputError, inspectImage } from '../image-input';
import { asUint8 } from '../image-util';
import { type GenerationRequest, MAX_COUNT, MAX_SIDE, MAX_STEPS, ProviderError } from './types';

/** Throws EngineError('bad-params') for a request no provider should receive. */
export function checkRequest(req: GenerationRequest): void {
  const bad = (message: string): never => {
    throw new EngineError('bad-params', message);
  };
  if (typeof req.prompt !== 'string' || req.prompt.trim() === '')
    bad('prompt must be a non-empty string.');
  if (req.prompt.length > 10_000) bad('prompt is longer than 10,000 characters.');
  if (
    req.negativePrompt !== undefined &&
    (typeof req.negativePrompt !== 'string' || req.negativePrompt.length > 10_000)
  )
    bad('negativePrompt must be a string of at most 10,000 characters.');
  for (const [name, value] of [
    ['width', req.width],
    ['height', req.height],
  ] as const) {
    if (!Number.isInteger(value) || value < 16 || value > MAX_SIDE)
      bad(`${name} must be an integer from 16 to ${MAX_SIDE}.`);
  }
  if (!Number.isInteger(req.steps) || req.steps < 1 || req.steps > MAX_STEPS)
    bad(`steps must be an integer from 1 to ${MAX_STEPS}.`);
  if (!Number.isInteger(req.seed) || req.seed < 0 || req.seed > 0xffff_ffff)
    bad('seed must be an integer from 0 to 4294967295.');
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > MAX_COUNT)
    bad(`count must be an integer from 1 to ${MAX_COUNT}.`);
  if (typeof req.model !== 'string') bad('model must be a string.');
  if (
    req.strength !== undefined &&
    !(typeof req.strength === 'number' && req.strength >= 0 && req.strength <= 1)
  )
    bad('strength must be a number from 0 to 1.');
  if (req.initImage !== undefined && !(req.initImage instanceof Uint8Array))
    bad('initImage must be bytes.');
}

/**
 * Turns one image a provider returned into PNG bytes of exactly width × height. A provider that
 * returns another size (some APIs only offer fixed sizes) is resized with a centre crop ("cover").
 * Bytes that are not a PNG, JPEG or WebP image are a 'bad-response'.
 */
export async function normaliseOutput(
  bytes: Uint8Array,
  width: number,
  height: number,
  provider: string,
): Promise<Uint8Array> {
  let info;
  try {
    info = await inspectImage(bytes, { maxPixels: 100_000_000, maxBytes: 256 * 1024 * 1024 });
  } catch (error) {
    if (error instanceof ImageInputError)
      throw new ProviderError(
        'bad-response',
        `${provider} returned an image that cannot be used: ${error.message}`,
      );
    throw error;
  }
  if (info.format === 'png' && info.width === width && info.height === height) return bytes;
  const png = await sharp(bytes, { limitInputPixels: false })
    .autoOrient()
    .resize(width, height, { fit: 'cover', kernel: 'lanczos3' })
    .png()
    .toBuffer();
  return asUint8(png);
}

/** PNG, JPEG or WebP by their magic bytes; null for anything else. */
export function imageFormatOf(bytes: Uint8Array): 'png' | 'jpeg' | 'webp' | null {
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47
  )
    return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return 'jpeg';
  if (
    bytes.length >= 12 &&
    String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP'
  )
    return 'webp';
  return null;
}

/** Decodes base64 (with or without a data: URL prefix). */
export function decodeBase64Image(value: string): Uint8Array {
  const comma = value.startsWith('data:') ? value.indexOf(',') : -1;
  return asUint8(Buffer.from(comma >= 0 ? value.slice(comma + 1) : value, 'base64'));
}

/**
 * The init image of an image-to-image request as PNG bytes (converted when it is JPEG or WebP).
 * Throws EngineError('bad-params') when it is not a usable image.
 */
export async function initImageAsPng(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  let info;
  try {
    info = await inspectImage(bytes);
  } catch (error) {
    if (error instanceof ImageInputError)
      throw new EngineError('bad-params', `initImage: ${error.message}`);
    throw error;
  }
  if (info.format === 'png') return new Uint8Array(bytes);
  return new Uint8Array(await sharp(bytes).autoOrient().png().toBuffer());
}
