import { z } from 'zod';
import { Hash, Id, Timestamp } from '../ledger/primitives';
import { UpscaleTiers } from '../pricing/book';
import { OperationId } from './common';

/** The longest prompt (and negative prompt) a generate job accepts. */
export const MAX_PROMPT_LENGTH = 1000;
/** The largest side of a generated image (the engines' limit). */
const MAX_GENERATE_SIDE = 4096;

export const JobTool = z.enum(['generate', 'filter', 'upscale', 'cutout', 'face-enhance']);
export type JobTool = z.infer<typeof JobTool>;

/**
 * queued → running → succeeded | failed | cancelled | awaiting-confirm (cutout);
 * awaiting-confirm → confirmed | discarded | expired.
 */
export const JobState = z.enum([
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'awaiting-confirm',
  'confirmed',
  'discarded',
  'expired',
]);
export type JobState = z.infer<typeof JobState>;

/** States a job never leaves. */
const finalJobStates: readonly JobState[] = [
  'succeeded',
  'failed',
  'cancelled',
  'confirmed',
  'discarded',
  'expired',
];
export const isFinalJobState = (state: JobState): boolean => finalJobStates.includes(state);

export const ImageFormat = z.enum(['png', 'jpeg', 'webp']);
export type ImageFormat = z.infer<typeof ImageFormat>;

const Side = z.int().min(16).max(MAX_GENERATE_SIDE);

export const GenerateJobParams = z.strictObject({
  mode: z.enum(['text-to-image', 'image-to-image']),
  prompt: z.string().trim().min(1).max(MAX_PROMPT_LENGTH),
  negativePrompt: z.string().max(MAX_PROMPT_LENGTH).optional(),
  /** A short style phrase; appended to the prompt as ", <style> style". */
  style: z.string().trim().min(1).max(100).optional(),
  /** A model id of the price book (e.g. 'easel-preview', 'standard', 'pro', 'ultra'). */
  model: Id,
  width: Side,
  height: Side,
  steps: z.int().min(1).max(10_000),
  /** Unsigned 32-bit; image i of the run uses seed + i. */
  seed: z.int().min(0).max(4_294_967_295),
  /** Images per run; the price book says which counts are offered (1, 2 or 4 by default). */
  count: z.int().min(1).max(16),
  /** Image-to-image: the upload to start from. */
  inputUploadId: Id.optional(),
  /** Image-to-image: 0 keeps the input, 100 ignores it (default 60). Whole numbers, as in filter. */
  strength: z.int().min(0).max(100).optional(),
});
export type GenerateJobParams = z.infer<typeof GenerateJobParams>;

export const FilterJobParams = z.strictObject({
  uploadId: Id,
  /** A preset of the price book (mono, sepia, vivid, …); checked against it. */
  preset: z.string().min(1).max(40),
  /** 0 (no change) to 100 (full effect). */
  strength: z.int().min(0).max(100).default(100),
});
export type FilterJobParams = z.infer<typeof FilterJobParams>;

const UpscaleTier = z.enum(UpscaleTiers);
type UpscaleTier = z.infer<typeof UpscaleTier>;

export const UpscaleJobParams = z.strictObject({
  uploadId: Id,
  factor: z.union([z.literal(2), z.literal(4), z.literal(8)]),
  /** The quality tier (default 'fast'); the price book prices each and says which are offered. */
  tier: UpscaleTier.optional(),
  /**
   * From before tiers, still accepted and still read from older jobs: 'esrgan' is the neural
   * upscale (the tier decides the model), 'lanczos' a classic resize at the fast tier's price
   * (it takes no tier).
   */
  mode: z.enum(['esrgan', 'lanczos']).optional(),
});
export type UpscaleJobParams = z.infer<typeof UpscaleJobParams>;

export const CutoutJobParams = z.strictObject({ uploadId: Id });
export type CutoutJobParams = z.infer<typeof CutoutJobParams>;

/** Face restoration of an upload, by an image engine that has it (see /v1/tools faceEnhance). */
export const FaceEnhanceJobParams = z.strictObject({ uploadId: Id });
export type FaceEnhanceJobParams = z.infer<typeof FaceEnhanceJobParams>;

/** The quote the user was shown; a different amount or version is answered with the fresh one (409). */
const JobQuote = z.strictObject({
  credits: z.int().min(0),
  priceBookVersion: z.int().min(1),
});
type JobQuote = z.infer<typeof JobQuote>;

/**
 * Run on a team's wallet (docs/architecture.md §14): the hold is the team's, charged to the
 * caller's and the project's monthly budgets; the files belong to the team.
 */
const JobTeam = z.strictObject({ teamId: Id, projectId: Id.nullable() });

const common = { operationId: OperationId, quote: JobQuote, team: JobTeam.optional() };

export const CreateJobRequest = z.discriminatedUnion('tool', [
  z.strictObject({ ...common, tool: z.literal('generate'), params: GenerateJobParams }),
  z.strictObject({ ...common, tool: z.literal('filter'), params: FilterJobParams }),
  z.strictObject({ ...common, tool: z.literal('upscale'), params: UpscaleJobParams }),
  z.strictObject({ ...common, tool: z.literal('cutout'), params: CutoutJobParams }),
  z.strictObject({ ...common, tool: z.literal('face-enhance'), params: FaceEnhanceJobParams }),
]);
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;

const JobParams = z.union([
  GenerateJobParams,
  FilterJobParams,
  UpscaleJobParams,
  CutoutJobParams,
  FaceEnhanceJobParams,
]);

export const JobOutput = z.strictObject({
  index: z.int().min(0),
  /** 'image' for results; cutout also gives its 'mask' (white = subject). */
  role: z.enum(['image', 'mask']),
  sha256: Hash,
  /** GET it with the same bearer token; only its owner may. */
  url: z.string(),
  format: ImageFormat,
  width: z.int().min(1),
  height: z.int().min(1),
  bytes: z.int().min(0),
  /** Generated images: the item to dislike (POST /v1/items/{itemId}/dislike) within the window. */
  itemId: Id.nullable(),
  /** What a dislike gives back for this image; null when it cannot be disliked. */
  refundCredits: z.int().min(0).nullable(),
});
export type JobOutput = z.infer<typeof JobOutput>;

const JobError = z.strictObject({ code: z.string(), message: z.string() });

/** The largest preview frame an event carries (base64 characters). */
export const MAX_PREVIEW_BASE64 = 400_000;

/**
 * What a running job is doing, as its engine reports it. Optional on the wire so a job written
 * by an older server still reads; null when the engine does not say.
 */
const JobStageFields = {
  /** A short phrase for the user: "Upscaling tile 3 of 16", "Sampling step 12 of 30". */
  stage: z.string().max(120).nullable().optional(),
  /** Estimated seconds until the engine finishes; null when it cannot be estimated yet. */
  etaSeconds: z.number().min(0).nullable().optional(),
};

export const Job = z.strictObject({
  jobId: Id,
  operationId: OperationId,
  tool: JobTool,
  state: JobState,
  /** 0..1 while running; 1 once the engine has finished. */
  progress: z.number().min(0).max(1),
  ...JobStageFields,
  params: JobParams,
  /** What was held for the job (the quote the user accepted). */
  quote: JobQuote,
  holdId: Id.nullable(),
  /** When the hold lapses by itself: a cutout must be confirmed before then. */
  holdExpiresAt: Timestamp.nullable(),
  /** Credits actually taken: null while undecided, 0 when released, else the capture. */
  charged: z.int().min(0).nullable(),
  error: JobError.nullable(),
  /** Something the user should know about a successful job (e.g. fewer images than asked). */
  notice: z.string().nullable(),
  /** Generate: the engine that makes the images, and what it is (the preview is not AI). */
  provider: z.strictObject({ id: z.string(), label: z.string() }).nullable(),
  outputs: z.array(JobOutput),
  /** A team run: the team, its project and the member who started it (absent for personal runs). */
  team: JobTeam.extend({ memberId: Id }).optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
});
export type Job = z.infer<typeof Job>;

export const JobListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** A jobId from the previous page: lists the jobs made before it. */
  before: Id.optional(),
});
export const JobListResponse = z.strictObject({
  jobs: z.array(Job),
  /** Pass as `before` for the next page; null at the end. */
  next: Id.nullable(),
});
export type JobListResponse = z.infer<typeof JobListResponse>;

/** Server-Sent Events of GET /v1/jobs/{id}/events; the SSE event name is `type`. */
export const JobEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('state'), job: Job }),
  z.strictObject({
    type: z.literal('progress'),
    jobId: Id,
    progress: z.number().min(0).max(1),
    ...JobStageFields,
  }),
  /** A look at the image while it is made (a sampler's latent preview, the provider's current image). */
  z.strictObject({
    type: z.literal('preview'),
    jobId: Id,
    /** Which image of the run (0-based). */
    index: z.int().min(0),
    format: ImageFormat,
    /** The preview's bytes, base64; small (a few hundred pixels a side). */
    base64: z.string().max(MAX_PREVIEW_BASE64),
  }),
]);
export type JobEvent = z.infer<typeof JobEvent>;

export const UploadResponse = z.strictObject({
  uploadId: Id,
  sha256: Hash,
  format: ImageFormat,
  width: z.int().min(1),
  height: z.int().min(1),
  bytes: z.int().min(1),
});
export type UploadResponse = z.infer<typeof UploadResponse>;

/** Whether something can run on this server now and, when not, why (a sentence for the user). */
const Availability = z.strictObject({
  available: z.boolean(),
  reason: z.string().max(300).nullable(),
});
type Availability = z.infer<typeof Availability>;

/** A model the price book prices, and whether this server has an engine that runs it. */
export const ModelCapability = z.strictObject({
  /** The price-book model id: what quotes and jobs name. */
  id: Id,
  /** The price book's label for it. */
  label: z.string(),
  /** What the engine calls it (a checkpoint file, an API model name); null for none. */
  engineModel: z.string().nullable(),
  available: z.boolean(),
  reason: z.string().max(300).nullable(),
});
export type ModelCapability = z.infer<typeof ModelCapability>;

/** An upscale quality tier: its price-book label, the model that runs it, and whether it can. */
export const UpscaleTierCapability = z.strictObject({
  id: UpscaleTier,
  label: z.string(),
  /** The model, in words ("ESRGAN thick (RRDN)"). */
  engineModel: z.string(),
  available: z.boolean(),
  reason: z.string().max(300).nullable(),
});
export type UpscaleTierCapability = z.infer<typeof UpscaleTierCapability>;

/**
 * What this server can run now: every tool and every priced model, each with whether it is
 * available and why not. The app shows unavailable ones disabled with the reason.
 */
export const ToolsResponse = z.strictObject({
  generate: z.strictObject({
    provider: z.strictObject({ id: z.string(), label: z.string() }),
    preview: z.strictObject({ id: z.string(), label: z.string() }),
    /** Every model of the price book, available or not ('easel-preview' is the preview). */
    models: z.array(ModelCapability),
    textToImage: Availability,
    imageToImage: Availability,
    maxPromptLength: z.int(),
  }),
  filter: Availability,
  /** `tiers` (newer servers): each quality tier the price book offers, with what runs it. */
  upscale: Availability.extend({ tiers: z.array(UpscaleTierCapability).optional() }),
  cutout: Availability,
  faceEnhance: Availability,
  uploads: z.strictObject({
    maxBytes: z.int(),
    maxPixels: z.int(),
    formats: z.array(ImageFormat),
  }),
});
export type ToolsResponse = z.infer<typeof ToolsResponse>;
