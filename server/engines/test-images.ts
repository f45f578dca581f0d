/**
 * Small real images for the engine tests and benchmarks, drawn with sharp from SVG so they have
 * structure (gradients, texture, edges, thin lines) rather than flat colour.
 */
import sharp from 'sharp';

/** A natural-looking scene: fractal-noise texture, shapes with edges, a curve and thin lines. */
function sceneSvg(size: number): string {
  const k = size / 256;
  const lines = Array.from(
    { length: 9 },
    (_, i) =>
      `<line x1="${(150 + i * 11) * k}" y1="${170 * k}" x2="${(140 + i * 11) * k}" y2="${250 * k}"/>`,
  ).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
<filter id="t"><feTurbulence type="fractalNoise" baseFrequency="${(0.035 / k).toFixed(4)}" numOctaves="4" seed="7"/>
<feColorMatrix type="matrix" values="1.2 0 0 0 -0.05  0 1.0 0.3 0 -0.1  0.2 0 1.1 0 0  0 0 0 0 1"/></filter>
<rect width="${size}" height="${size}" filter="url(#t)"/>
<circle cx="${90 * k}" cy="${100 * k}" r="${48 * k}" fill="#e63946" opacity="0.85"/>
<rect x="${140 * k}" y="${40 * k}" width="${80 * k}" height="${120 * k}" fill="#1d3557" transform="rotate(12 ${180 * k} ${100 * k})"/>
<path d="M${10 * k} ${200 * k} Q ${80 * k} ${140 * k} ${150 * k} ${210 * k} T ${250 * k} ${190 * k}" stroke="#ffe" stroke-width="${5 * k}" fill="none"/>
<g stroke="#222" stroke-width="${2 * k}">${lines}</g></svg>`;
}

/** PNG of the scene at `size` × `size`. */
export async function scenePng(size: number): Promise<Buffer> {
  return sharp(Buffer.from(sceneSvg(size)))
    .removeAlpha()
    .png()
    .toBuffer();
}

/** A colourful diagonal gradient with a hard-edged block, `w` × `h`. */
export async function gradientPng(w: number, h: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1e6fd9"/><stop offset="0.5" stop-color="#34c759"/><stop offset="1" stop-color="#ff9500"/></linearGradient></defs>
<rect width="${w}" height="${h}" fill="url(#g)"/><rect x="${w / 4}" y="${h / 4}" width="${w / 2}" height="${h / 2}" fill="#c2185b"/>
<circle cx="${w * 0.7}" cy="${h * 0.3}" r="${Math.min(w, h) / 8}" fill="#fff"/></svg>`;
  return sharp(Buffer.from(svg)).removeAlpha().png().toBuffer();
}

/** A solid-colour PNG. */
export async function solidPng(w: number, h: number, colour: string): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

/** A product-style photo: a shaded red ball with a soft floor shadow on a plain light backdrop. */
export async function ballPng(w: number, h: number): Promise<Buffer> {
  const r = Math.min(w, h) / 3;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#e8e8e4"/>
<defs><radialGradient id="b" cx="0.4" cy="0.35" r="0.7"><stop offset="0" stop-color="#ff6b5b"/><stop offset="1" stop-color="#a01818"/></radialGradient></defs>
<ellipse cx="${w / 2}" cy="${h / 2 + r * 1.0}" rx="${r * 0.9}" ry="${r * 0.15}" fill="#c9c9c4"/><circle cx="${w / 2}" cy="${h / 2}" r="${r}" fill="url(#b)"/></svg>`;
  return sharp(Buffer.from(svg)).removeAlpha().png().toBuffer();
}

/** A person-like silhouette (head and shoulders) on a plain pale-blue wall. */
export async function personPng(w: number, h: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 320 240"><rect width="100%" height="100%" fill="#dfe8ef"/>
<circle cx="160" cy="70" r="34" fill="#c68642"/><path d="M95 240 Q100 120 160 112 Q220 120 225 240 Z" fill="#2b4c7e"/></svg>`;
  return sharp(Buffer.from(svg)).removeAlpha().png().toBuffer();
}

export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** Decodes any image to raw 8-bit pixels (keeps alpha when present). */
export async function pixels(bytes: Uint8Array): Promise<Pixels> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Decodes to raw RGB (alpha dropped). */
export async function rgbPixels(bytes: Uint8Array): Promise<Pixels> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Peak signal-to-noise ratio in dB between two same-sized byte arrays. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`size mismatch ${a.length} vs ${b.length}`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`size mismatch ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return s / a.length;
}
