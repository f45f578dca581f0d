import type { ImageFormat, ToolsResponse } from '../../../shared/api/jobs';
import { MAX_UPLOAD_BASE64 } from '../../../shared/ipc/types';

/**
 * What an input image may be, checked in the renderer before any upload (docs/architecture.md §8).
 * The numbers come from the server's /v1/tools answer (getTools); offline, from the price book
 * and the IPC bridge's own bound, so nothing is written down twice.
 */
export interface UploadLimits {
  maxBytes: number;
  maxPixels: number;
  formats: ImageFormat[];
}

const MIME_OF: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};
const NAME_OF: Record<ImageFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };
/** The bridge carries base64: 4 characters for every 3 bytes. */
const BRIDGE_MAX_BYTES = Math.floor((MAX_UPLOAD_BASE64 * 3) / 4);

export function uploadLimits(
  tools: ToolsResponse | null,
  bookMaxPixels: number | null,
): UploadLimits {
  return {
    maxBytes: Math.min(tools?.uploads.maxBytes ?? BRIDGE_MAX_BYTES, BRIDGE_MAX_BYTES),
    maxPixels: tools?.uploads.maxPixels ?? bookMaxPixels ?? 40_000_000,
    formats: tools?.uploads.formats ?? ['png', 'jpeg', 'webp'],
  };
}

/** "25 MB", "1.5 MB", "800 KB". */
function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${trim(bytes / (1024 * 1024))} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
/** "40 megapixels", "8.3 megapixels". */
function pixelsText(pixels: number): string {
  return `${trim(pixels / 1_000_000)} megapixels`;
}
const trim = (n: number): string => (Math.round(n * 10) / 10).toString();

function orList(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1) ?? ''}`;
}

/** The limits as one sentence, shown before any upload. */
export function limitsSentence(l: UploadLimits): string {
  return `${orList(l.formats.map((f) => NAME_OF[f]))} images up to ${sizeText(l.maxBytes)} and ${pixelsText(l.maxPixels)}.`;
}

/** The upload mime of a file, or null when it is not an allowed format. */
export function mimeOf(type: string, l: UploadLimits): string | null {
  const f = l.formats.find((x) => MIME_OF[x] === type);
  return f ? MIME_OF[f] : null;
}

/** Checks what can be known without decoding: the type and the size. A sentence, or null. */
export function checkFile(file: { type: string; size: number; name?: string }, l: UploadLimits) {
  const what = file.name ? `“${file.name}”` : 'This file';
  if (!mimeOf(file.type, l)) {
    const kind = file.type.startsWith('image/')
      ? `a ${file.type.slice(6).toUpperCase()} image`
      : 'not an image Easel can use';
    return `${what} is ${kind}; Easel takes ${orList(l.formats.map((f) => NAME_OF[f]))} images.`;
  }
  if (file.size > l.maxBytes)
    return `${what} is ${sizeText(file.size)}; the largest image you can use is ${sizeText(l.maxBytes)}.`;
  if (file.size === 0) return `${what} is empty.`;
  return null;
}

/** Checks the decoded size. A sentence, or null. */
export function checkPixels(width: number, height: number, l: UploadLimits): string | null {
  if (width * height <= l.maxPixels) return null;
  return `This image is ${width} × ${height} pixels (${pixelsText(width * height)}); the largest you can use is ${pixelsText(l.maxPixels)}.`;
}
