/**
 * The ESRGAN models behind the upscale tiers, chosen by measurement (server/engines/MODELS.md):
 * each is a package of UpscalerJS (MIT) with x2, x4 and x8 weights. Importing this module loads
 * no runtime.
 */
import type { UpscaleTier } from '../../shared/pricing/book';
import { packageFile } from './package-files';

export type EsrganScale = 2 | 4 | 8;

export interface EsrganModel {
  tier: UpscaleTier;
  package: string;
  /** What it is, in words, for /v1/tools and the docs. */
  label: string;
  /** The pixel range the model was trained on: RDN takes 0..255, RRDN 0..1. */
  inputMax: 1 | 255;
}

export const ESRGAN_MODELS: Readonly<Record<UpscaleTier, EsrganModel>> = {
  fast: {
    tier: 'fast',
    package: '@upscalerjs/esrgan-medium',
    label: 'ESRGAN medium (RDN, 10 dense blocks)',
    inputMax: 255,
  },
  best: {
    tier: 'best',
    package: '@upscalerjs/esrgan-thick',
    label: 'ESRGAN thick (RRDN, 10 residual-in-residual blocks)',
    inputMax: 1,
  },
};

/** Whether the model files of `tier` (x2, x4 and x8) are installed. */
export function esrganTierInstalled(tier: UpscaleTier): boolean {
  try {
    for (const scale of [2, 4, 8] as const) esrganModelFile(tier, scale);
    return true;
  } catch {
    return false;
  }
}

/** The model.json of `tier` at `scale`; throws EngineError('model-missing') when absent. */
export function esrganModelFile(tier: UpscaleTier, scale: EsrganScale): string {
  return packageFile(ESRGAN_MODELS[tier].package, `models/x${scale}/model.json`);
}
