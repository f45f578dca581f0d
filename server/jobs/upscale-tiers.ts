/**
 * What /v1/tools says about the upscale: whether the price book offers it, and each quality tier
 * with its price-book label, the model that runs it, and whether this server can run it now.
 */
import type { ToolsResponse, UpscaleTierCapability } from '../../shared/api/jobs';
import { type PriceBook, type UpscaleTier, UpscaleTiers } from '../../shared/pricing/book';
import { ESRGAN_MODELS, esrganTierInstalled } from '../engines/index';

const defaultLabels: Record<UpscaleTier, string> = { fast: 'Fast', best: 'Best' };

/** A book without `tiers` offers the fast tier alone, at the factor's price (shared/pricing). */
function offered(book: PriceBook, tier: UpscaleTier): boolean {
  const upscale = book.tools.upscale;
  if (!upscale) return false;
  return upscale.tiers ? upscale.tiers[tier] !== undefined : tier === 'fast';
}

export function upscaleCapability(book: PriceBook): ToolsResponse['upscale'] {
  const tiers = UpscaleTiers.map((id): UpscaleTierCapability => {
    const label = book.tools.upscale?.tiers?.[id]?.label ?? defaultLabels[id];
    const engineModel = ESRGAN_MODELS[id].label;
    if (!offered(book, id))
      return {
        id,
        label,
        engineModel,
        available: false,
        reason: `The current price book does not offer the ${label} upscale.`,
      };
    if (!esrganTierInstalled(id))
      return {
        id,
        label,
        engineModel,
        available: false,
        reason: `The model of the ${label} upscale (${ESRGAN_MODELS[id].package}) is not installed on this server.`,
      };
    return { id, label, engineModel, available: true, reason: null };
  });
  if (!book.tools.upscale)
    return { available: false, reason: 'The current price book does not offer upscaling.', tiers };
  return { available: true, reason: null, tiers };
}
