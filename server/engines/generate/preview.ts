/**
 * "Easel Preview": the built-in offline engine. It is NOT an AI model. It draws a deterministic
 * abstract picture (gradients, blobs, shapes and lines) from a hash of the prompt, the negative
 * prompt and the seed, rendered as SVG by sharp (librsvg). Colour words in the prompt ("red",
 * "ocean", "sunset", "night", …) steer the palette; nothing else of the prompt is depicted.
 * Same request → identical PNG bytes; another seed → another picture. `steps` sets how many
 * layers are drawn; image i of a batch uses seed + i; an init image is blended under the shapes
 * (strength 0 keeps the init image, 1 shows only the shapes).
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { type ProgressFn, noProgress, throwIfAborted } from '../errors';
import { asUint8 } from '../image-util';
import {
  DEFAULT_STRENGTH,
  type GenerateProvider,
  type GenerationRequest,
  type GenerationResult,
} from './types';
import { checkRequest, initImageAsPng } from './validate';

export const PREVIEW_PROVIDER_ID = 'easel-preview';

/** What the UI must say about this engine. */
export const label =
  'Easel Preview (offline, not AI): draws a deterministic abstract picture from the prompt and seed so you can try the workflow without a generation service. It does not depict the prompt.';

/** Small, fast PRNG (sfc32) seeded from a SHA-256 digest. */
function rngFrom(digest: Buffer): () => number {
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

const hueWords: readonly [RegExp, number][] = [
  [/\b(red|crimson|fire|blood|rose)\b/i, 355],
  [/\b(orange|autumn|amber|rust)\b/i, 25],
  [/\b(gold|golden|yellow|sun|sunny|sunset|desert|sand)\b/i, 45],
  [/\b(green|forest|jungle|grass|leaf|leaves|moss)\b/i, 120],
  [/\b(teal|turquoise|cyan|lagoon)\b/i, 178],
  [/\b(blue|ocean|sea|sky|water|ice|winter)\b/i, 212],
  [/\b(purple|violet|lavender|galaxy|nebula)\b/i, 275],
  [/\b(pink|magenta|blossom|candy)\b/i, 325],
];

interface Palette {
  hues: number[];
  dark: boolean;
}

function paletteFor(prompt: string, rnd: () => number): Palette {
  const matched = hueWords.find(([re]) => re.test(prompt));
  const base = matched ? matched[1] + (rnd() - 0.5) * 20 : rnd() * 360;
  const dark = /\b(night|dark|noir|midnight|shadow|space)\b/i.test(prompt);
  const spread = 20 + rnd() * 40;
  const hues = [
    base,
    base + spread,
    base - spread,
    base + 180 + (rnd() - 0.5) * 30,
    base + spread * 2,
  ];
  return { hues: hues.map((h) => ((h % 360) + 360) % 360), dark };
}

function colour(p: Palette, rnd: () => number, lightBias = 0): string {
  const h = p.hues[Math.floor(rnd() * p.hues.length)] ?? 0;
  const s = 45 + rnd() * 45;
  const l = Math.min(92, Math.max(8, (p.dark ? 22 : 52) + lightBias + (rnd() - 0.5) * 40));
  return `hsl(${h.toFixed(1)},${s.toFixed(1)}%,${l.toFixed(1)}%)`;
}

const f = (n: number): string => n.toFixed(1);

/** The SVG for one image. Exported for tests and for showing what the engine draws. */
function previewSvg(
  req: Pick<GenerationRequest, 'prompt' | 'negativePrompt' | 'width' | 'height' | 'steps'>,
  seed: number,
  overlayOpacity = 1,
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(['easel-preview/1', req.prompt, req.negativePrompt ?? '', seed >>> 0]))
    .digest();
  const rnd = rngFrom(digest);
  const { width: w, height: h } = req;
  const m = Math.min(w, h);
  const pal = paletteFor(req.prompt, rnd);
  const angle = rnd() * 360;
  const layers = Math.max(4, Math.min(160, Math.round(4 + req.steps * 1.5)));
  const parts: string[] = [];
  parts.push(
    `<defs><linearGradient id="bg" gradientTransform="rotate(${f(angle)} .5 .5)"><stop offset="0" stop-color="${colour(pal, rnd, -10)}"/><stop offset="1" stop-color="${colour(pal, rnd, 10)}"/></linearGradient>`,
    `<filter id="soft" x="-50%" y="-50%" width="200%" height="200%"><feGaussianBlur stdDeviation="${f(m / 25)}"/></filter>`,
  );
  for (let g = 0; g < 4; g++) {
    parts.push(
      `<radialGradient id="r${g}"><stop offset="0" stop-color="${colour(pal, rnd, 15)}"/><stop offset="1" stop-color="${colour(pal, rnd, -15)}" stop-opacity="0"/></radialGradient>`,
    );
  }
  parts.push('</defs>', `<rect width="${w}" height="${h}" fill="url(#bg)"/>`);
  // Soft glows first (one blur filter for the whole group keeps rendering fast).
  const glows: string[] = [];
  for (let i = 0; i < Math.min(6, Math.ceil(layers / 6)); i++) {
    glows.push(
      `<ellipse cx="${f(rnd() * w)}" cy="${f(rnd() * h)}" rx="${f(m * (0.15 + rnd() * 0.35))}" ry="${f(m * (0.15 + rnd() * 0.35))}" fill="${colour(pal, rnd)}" opacity="${f(0.4 + rnd() * 0.5)}"/>`,
    );
  }
  parts.push(`<g filter="url(#soft)">${glows.join('')}</g>`);
  for (let i = 0; i < layers; i++) {
    const kind = Math.floor(rnd() * 5);
    const x = rnd() * w;
    const y = rnd() * h;
    const size = m * (0.03 + rnd() * rnd() * 0.35);
    const fill = rnd() < 0.25 ? `url(#r${Math.floor(rnd() * 4)})` : colour(pal, rnd);
    const opacity = f(0.25 + rnd() * 0.6);
    if (kind === 0) {
      parts.push(
        `<circle cx="${f(x)}" cy="${f(y)}" r="${f(size)}" fill="${fill}" opacity="${opacity}"/>`,
      );
    } else if (kind === 1) {
      parts.push(
        `<rect x="${f(x - size)}" y="${f(y - size / 2)}" width="${f(size * 2)}" height="${f(size)}" rx="${f(size * rnd() * 0.5)}" fill="${fill}" opacity="${opacity}" transform="rotate(${f(rnd() * 180)} ${f(x)} ${f(y)})"/>`,
      );
    } else if (kind === 2) {
      const n = 3 + Math.floor(rnd() * 4);
      const pts = Array.from({ length: n }, (_, k) => {
        const a = (k / n) * Math.PI * 2 + rnd() * 0.6;
        const r = size * (0.6 + rnd() * 0.6);
        return `${f(x + Math.cos(a) * r)},${f(y + Math.sin(a) * r)}`;
      });
      parts.push(`<polygon points="${pts.join(' ')}" fill="${fill}" opacity="${opacity}"/>`);
    } else if (kind === 3) {
      const x2 = rnd() * w;
      const y2 = rnd() * h;
      parts.push(
        `<path d="M${f(x)} ${f(y)} Q${f(rnd() * w)} ${f(rnd() * h)} ${f(x2)} ${f(y2)}" stroke="${colour(pal, rnd, 20)}" stroke-width="${f(Math.max(1, m * 0.004 + rnd() * m * 0.012))}" fill="none" stroke-linecap="round" opacity="${opacity}"/>`,
      );
    } else {
      const r = size * 1.2;
      parts.push(
        `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="none" stroke="${colour(pal, rnd, 25)}" stroke-width="${f(Math.max(1, r * 0.08))}" opacity="${opacity}"/>`,
      );
    }
  }
  const body = parts.join('');
  const content =
    overlayOpacity < 1
      ? body.replace('</defs>', `</defs><g opacity="${overlayOpacity.toFixed(3)}">`) + '</g>'
      : body;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${content}</svg>`;
}

export class EaselPreviewProvider implements GenerateProvider {
  readonly id = PREVIEW_PROVIDER_ID;
  readonly label = label;

  async generate(
    req: GenerationRequest,
    onProgress: ProgressFn = noProgress,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    checkRequest(req);
    const strength = req.strength ?? DEFAULT_STRENGTH;
    const base = req.initImage
      ? await sharp(await initImageAsPng(req.initImage))
          .resize(req.width, req.height, { fit: 'cover' })
          .removeAlpha()
          .png()
          .toBuffer()
      : null;
    const images: Uint8Array[] = [];
    onProgress(0);
    for (let i = 0; i < req.count; i++) {
      throwIfAborted(signal);
      const svg = Buffer.from(previewSvg(req, (req.seed + i) >>> 0, base ? strength : 1));
      const art = sharp(svg, { density: 72, limitInputPixels: false });
      const png = base
        ? await sharp(base)
            .composite([{ input: await art.png().toBuffer() }])
            .png()
            .toBuffer()
        : await art.removeAlpha().png().toBuffer();
      images.push(asUint8(png));
      onProgress((i + 1) / req.count);
    }
    return { images };
  }
}
