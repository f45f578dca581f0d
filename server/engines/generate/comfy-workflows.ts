/**
 * The ComfyUI workflows Easel ships, in ComfyUI's API format, one per model family, with size,
 * steps, seed and prompts filled in. Node classes and inputs are ComfyUI's core nodes as of
 * 0.3.64 (nodes.py: CheckpointLoaderSimple, CLIPTextEncode, EmptyLatentImage, KSampler,
 * VAEDecode, VAEEncode, LoadImage, SaveImage; comfy_extras/nodes_flux.py: FluxGuidance;
 * comfy_extras/nodes_sd3.py: EmptySD3LatentImage), shaped like ComfyUI's own default and Flux
 * example workflows:
 *
 * - SD 1.5 and SDXL: checkpoint → two text encodings → empty latent (sides a multiple of 8) →
 *   KSampler → VAE decode → save.
 * - Flux-class all-in-one checkpoints: guidance through FluxGuidance (3.5), CFG 1, the "simple"
 *   scheduler, an SD3-style 16-channel latent (sides a multiple of 16), an empty negative prompt.
 * - Image to image: the uploaded image is loaded and VAE-encoded instead of the empty latent,
 *   and KSampler's denoise is the strength.
 *
 * Node "3" is always the sampler and node "9" the SaveImage output.
 */
import type { ModelFamily } from './types';

export type ComfyGraph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

export interface ComfyWorkflowInput {
  family: ModelFamily;
  checkpoint: string;
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  seed: number;
  /** Image to image: the uploaded file's name (as /upload/image answered) and the strength. */
  init?: { image: string; denoise: number };
  /** Overrides of the family's sampler, scheduler and CFG. */
  sampler?: string;
  scheduler?: string;
  cfg?: number;
}

interface FamilyDefaults {
  sampler: string;
  scheduler: string;
  cfg: number;
  /** Latent sides are multiples of this. */
  multiple: number;
  latent: 'EmptyLatentImage' | 'EmptySD3LatentImage';
  guidance: number | null;
}

const DEFAULTS: Record<'sd15' | 'sdxl' | 'flux', FamilyDefaults> = {
  sd15: {
    sampler: 'euler',
    scheduler: 'normal',
    cfg: 7,
    multiple: 8,
    latent: 'EmptyLatentImage',
    guidance: null,
  },
  sdxl: {
    sampler: 'dpmpp_2m',
    scheduler: 'karras',
    cfg: 7,
    multiple: 8,
    latent: 'EmptyLatentImage',
    guidance: null,
  },
  flux: {
    sampler: 'euler',
    scheduler: 'simple',
    cfg: 1,
    multiple: 16,
    latent: 'EmptySD3LatentImage',
    guidance: 3.5,
  },
};

/** A side rounded to the latent's multiple (the output is fitted to the asked size afterwards). */
export function latentSide(side: number, family: ModelFamily): number {
  const m = family === 'flux' ? 16 : 8;
  return Math.max(m, Math.round(side / m) * m);
}

export function comfyWorkflow(input: ComfyWorkflowInput): ComfyGraph {
  const d = DEFAULTS[input.family === 'flux' || input.family === 'sdxl' ? input.family : 'sd15'];
  const width = latentSide(input.width, input.family);
  const height = latentSide(input.height, input.family);
  const graph: ComfyGraph = {
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: input.checkpoint } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: input.prompt, clip: ['4', 1] } },
    '7': {
      class_type: 'CLIPTextEncode',
      inputs: { text: d.guidance === null ? input.negativePrompt : '', clip: ['4', 1] },
    },
    '3': {
      class_type: 'KSampler',
      inputs: {
        seed: input.seed,
        steps: input.steps,
        cfg: input.cfg ?? d.cfg,
        sampler_name: input.sampler ?? d.sampler,
        scheduler: input.scheduler ?? d.scheduler,
        denoise: 1,
        model: ['4', 0],
        positive: ['6', 0],
        negative: ['7', 0],
        latent_image: ['5', 0],
      },
    },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'easel', images: ['8', 0] } },
  };
  const sampler = graph['3'];
  if (d.guidance !== null && sampler) {
    graph['10'] = {
      class_type: 'FluxGuidance',
      inputs: { conditioning: ['6', 0], guidance: d.guidance },
    };
    sampler.inputs.positive = ['10', 0];
  }
  if (input.init && sampler) {
    graph['11'] = { class_type: 'LoadImage', inputs: { image: input.init.image } };
    graph['12'] = { class_type: 'VAEEncode', inputs: { pixels: ['11', 0], vae: ['4', 2] } };
    sampler.inputs.latent_image = ['12', 0];
    sampler.inputs.denoise = input.init.denoise;
  } else {
    graph['5'] = { class_type: d.latent, inputs: { width, height, batch_size: 1 } };
  }
  return graph;
}
