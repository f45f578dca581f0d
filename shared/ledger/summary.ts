/**
 * The short, human words a ledger entry carries about what it paid for (docs/architecture.md §2):
 * a job's prompt excerpt or settings, so History can say what a run was from the signed ledger
 * alone — offline, and verifiable.
 */

/** Cuts text to `max` characters on a word boundary where it can, with an ellipsis. */
export function excerpt(text: string, max = 80): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What a job was, in a few words: its prompt excerpt, or its tool and settings. */
export function jobSummary(tool: string, params: Readonly<Record<string, unknown>>): string {
  switch (tool) {
    case 'generate':
      return excerpt(str(params.prompt)) || 'Image generation';
    case 'filter': {
      const preset = str(params.preset);
      return preset ? `Filter: ${preset}` : 'Filter';
    }
    case 'upscale': {
      const factor = typeof params.factor === 'number' ? ` ×${params.factor}` : '';
      const tier = str(params.tier);
      return `Upscale${factor}${tier ? ` (${tier})` : ''}`;
    }
    case 'cutout':
      return 'Background removal';
    case 'face-enhance':
      return 'Face enhance';
    default:
      return excerpt(tool, 40) || 'Run';
  }
}
