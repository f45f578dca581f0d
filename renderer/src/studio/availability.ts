import type { ToolsResponse } from '../../../shared/api/jobs';
import type { UpscaleTier } from '../../../shared/pricing/book';

/** Said instead of running when the server cannot be reached; quotes still work from the cache. */
export const OFFLINE_REASON =
  'You are offline. Runs need the Easel server, so you can start this one once you are back online; the price below still holds.';

export type Runnable =
  | { tool: 'generate'; mode: 'text-to-image' | 'image-to-image'; model: string }
  | { tool: 'filter' | 'cutout' | 'face-enhance' }
  | { tool: 'upscale'; tier: UpscaleTier };

/**
 * Why this run cannot start on this server now, as a sentence, or null when it can (or when the
 * server has not said: it then decides). From getTools (docs/architecture.md §8).
 */
export function blockedReason(
  run: Runnable,
  tools: ToolsResponse | null,
  online: boolean,
): string | null {
  if (!online) return OFFLINE_REASON;
  if (!tools) return null;
  if (run.tool === 'generate') {
    const mode =
      run.mode === 'text-to-image' ? tools.generate.textToImage : tools.generate.imageToImage;
    if (!mode.available) return mode.reason ?? 'This server cannot run this mode now.';
    const model = tools.generate.models.find((m) => m.id === run.model);
    if (model && !model.available)
      return model.reason ?? `${model.label} cannot run on this server now.`;
    return null;
  }
  const tool = run.tool === 'face-enhance' ? tools.faceEnhance : tools[run.tool];
  if (!tool.available) return tool.reason ?? 'This server cannot run this tool now.';
  if (run.tool === 'upscale') {
    const tier = tools.upscale.tiers?.find((t) => t.id === run.tier);
    if (tier && !tier.available)
      return tier.reason ?? `${tier.label} cannot run on this server now.`;
  }
  return null;
}
