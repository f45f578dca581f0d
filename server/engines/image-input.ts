/**
 * Checks uploaded image bytes before any engine decodes them: size in bytes, format by magic
 * bytes (PNG, JPEG and WebP only), then the header through sharp for the dimensions, which must
 * stay under a pixel limit. Nothing here decodes the pixel data, so a decompression bomb is
 * refused from its header alone.
 */
import sharp, { type Metadata } from 'sharp';

type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface ImageLimits {
  /** Largest width × height accepted (after EXIF orientation). */
  maxPixels: number;
  /** Largest encoded size in bytes. */
  maxBytes: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({
  maxPixels: 40_000_000,
  maxBytes: 50 * 1024 * 1024,
});

export interface ImageInfo {
  format: ImageFormat;
  /** Width as displayed, i.e. after the EXIF orientation is applied. */
  width: number;
  /** Height as displayed, i.e. after the EXIF orientation is applied. */
  height: number;
}

export type ImageInputErrorCode =
  'not-an-image' | 'unsupported-format' | 'too-many-pixels' | 'too-large';

export class ImageInputError extends Error {
  override readonly name = 'ImageInputError';
  constructor(
    readonly code: ImageInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/** Which supported format the magic bytes say, or the name of a known but unsupported one. */
function sniffFormat(
  bytes: Uint8Array,
): { supported: ImageFormat } | { unsupported: string } | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { supported: 'png' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { supported: 'jpeg' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return { supported: 'webp' };
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')
    return { unsupported: 'GIF' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return { unsupported: 'TIFF' };
  if (ascii(bytes, 0, 2) === 'BM') return { unsupported: 'BMP' };
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return { unsupported: 'ICO' };
  if (
    startsWith(bytes, [0xff, 0x0a]) ||
    startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])
  )
    return { unsupported: 'JPEG XL' };
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (/^(avif|avis)$/.test(brand)) return { unsupported: 'AVIF' };
    if (/^(heic|heix|hevc|heim|heis|mif1|msf1)$/.test(brand)) return { unsupported: 'HEIF/HEIC' };
  }
  if (ascii(bytes, 0, 4) === '8BPS') return { unsupported: 'PSD' };
  // SVG and other XML: text that opens with '<' once a BOM and white space are skipped.
  let i = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (
    i < bytes.length &&
    i < 1024 &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)
  )
    i++;
  if (bytes[i] === 0x3c) {
    const head = ascii(bytes, i, i + 4096).toLowerCase();
    if (head.includes('<svg')) return { unsupported: 'SVG' };
  }
  return null;
}

const formatNames: Record<ImageFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };

/**
 * Returns the format and displayed size of `bytes`, or throws ImageInputError:
 * - `too-large` when the bytes exceed `limits.maxBytes`;
 * - `not-an-image` for empty, unrecognised, corrupt or truncated data;
 * - `unsupported-format` for images that are not PNG, JPEG or WebP (GIF, TIFF, SVG, AVIF, …)
 *   and for animated WebP;
 * - `too-many-pixels` when width × height exceeds `limits.maxPixels` (40 MP by default).
 */
export async function inspectImage(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<ImageInfo> {
  if (bytes.length === 0) throw new ImageInputError('not-an-image', 'The file is empty.');
  if (bytes.length > limits.maxBytes) {
    throw new ImageInputError(
      'too-large',
      `The file is ${mb(bytes.length)}; the limit is ${mb(limits.maxBytes)}.`,
    );
  }
  const sniffed = sniffFormat(bytes);
  if (sniffed === null)
    throw new ImageInputError('not-an-image', 'The file is not an image (unrecognised content).');
  if ('unsupported' in sniffed) {
    throw new ImageInputError(
      'unsupported-format',
      `${sniffed.unsupported} images are not supported; use PNG, JPEG or WebP.`,
    );
  }
  const format = sniffed.supported;
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    throw new ImageInputError(
      'not-an-image',
      `The ${formatNames[format]} file is corrupt or truncated (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  if (meta.format !== format) {
    throw new ImageInputError(
      'not-an-image',
      `The file starts like ${formatNames[format]} but does not decode as one.`,
    );
  }
  if ((meta.pages ?? 1) > 1)
    throw new ImageInputError(
      'unsupported-format',
      'Animated images are not supported; use a still PNG, JPEG or WebP.',
    );
  const rawWidth = meta.width;
  const rawHeight = meta.height;
  if (
    !Number.isInteger(rawWidth) ||
    !Number.isInteger(rawHeight) ||
    rawWidth < 1 ||
    rawHeight < 1
  ) {
    throw new ImageInputError('not-an-image', 'The image header has no valid size.');
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = rotated ? rawHeight : rawWidth;
  const height = rotated ? rawWidth : rawHeight;
  if (width * height > limits.maxPixels) {
    throw new ImageInputError(
      'too-many-pixels',
      `The image is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP); the limit is ${(limits.maxPixels / 1e6).toFixed(1)} MP.`,
    );
  }
  return { format, width, height };
}

function mb(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
