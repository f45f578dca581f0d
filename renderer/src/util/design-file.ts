import type { EaselApi } from '../../../shared/ipc/contract';
import type { DesignRow, EaselDb } from '../db/db';

const bytesOf = (base64: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** An owned design's file: the copy kept for offline use, else fetched once and kept. */
export async function designFile(api: EaselApi, db: EaselDb, design: DesignRow): Promise<Blob> {
  let file = design.file;
  if (!file) {
    file = await api.designFile({ designId: design.designId });
    await db.designs.update(design.designId, { file });
  }
  return new Blob([bytesOf(file.base64)], { type: file.mime });
}

/** A file name from the design's title: "Tidal lines" → "tidal-lines.svg". */
export function designFileName(design: DesignRow, mime: string): string {
  const slug =
    design.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'design';
  const ext = mime === 'image/svg+xml' ? 'svg' : mime === 'image/jpeg' ? 'jpg' : 'png';
  return `${slug}.${ext}`;
}

/** Saves a blob through a download link (the browser's or Electron's save flow). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A design as a PNG the image tools accept: vector designs are drawn onto a canvas at their own
 * size (at least `minSide` on the short side). A raster file is returned as it is.
 */
export async function designAsPng(blob: Blob, minSide = 512): Promise<Blob> {
  if (blob.type !== 'image/svg+xml') return blob;
  const url = URL.createObjectURL(blob);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const scale = Math.max(
      1,
      minSide / Math.min(img.naturalWidth || minSide, img.naturalHeight || minSide),
    );
    const w = Math.round((img.naturalWidth || minSide) * scale);
    const h = Math.round((img.naturalHeight || minSide) * scale);
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This window cannot draw the design as an image.');
    ctx.drawImage(img, 0, 0, w, h);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (b) => (b ? resolve(b) : reject(new Error('The design could not be turned into a PNG.'))),
        'image/png',
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
