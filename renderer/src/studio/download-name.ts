import { dayKey } from '../util/format';

const EXT: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

/** Words of a prompt fit for a file name: "Sunset over the lake!" → "sunset-over-the-lake". */
export function slugOf(text: string, max = 48): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= max) return slug;
  const cut = slug.slice(0, max);
  // End on a whole word when one fits.
  const last = cut.lastIndexOf('-');
  return (last > max / 2 ? cut.slice(0, last) : cut).replace(/-+$/, '');
}

/**
 * A result's download name from its prompt (or tool), its local date and its 1-based place in
 * its run: `sunset-over-lake_2026-12-01_2.png`.
 */
export function downloadName(item: {
  prompt: string | null;
  tool: string;
  createdAt: string;
  index: number;
  mime: string;
}): string {
  const slug = slugOf(item.prompt ?? '') || item.tool;
  return `${slug}_${dayKey(item.createdAt)}_${item.index + 1}.${EXT[item.mime] ?? 'png'}`;
}
