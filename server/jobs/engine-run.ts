/**
 * Runs a job's engine work in the pool and returns its images. A generate run asks for one image
 * per task (image i with seed + i, which every provider maps to the same picture as a batch), so
 * when the provider fails part-way the images already made are kept and only they are charged.
 */
import type {
  CutoutJobParams,
  FaceEnhanceJobParams,
  FilterJobParams,
  GenerateJobParams,
  JobTool,
  UpscaleJobParams,
} from '../../shared/api/jobs';
import {
  type EnginePool,
  EngineError,
  ImageInputError,
  PoolError,
  type PreviewFrame,
  type ProgressDetail,
  ProviderError,
  type UpscaleParams,
  isAbortError,
  isFilterPreset,
} from '../engines/index';
import { HttpError } from '../http/errors';
import { type ProviderChoice, withoutAddresses } from './providers';

interface EngineImage {
  role: 'image' | 'mask';
  bytes: Uint8Array;
  width: number;
  height: number;
}

export interface EngineOutcome {
  images: EngineImage[];
  /** Generate: the error that stopped the run after some images were made. */
  shortfall: JobFailure | null;
}

/** A failure as the job reports it: a stable code and a sentence. */
export interface JobFailure {
  code: string;
  message: string;
}

export type RunSpec =
  | { tool: 'generate'; params: GenerateJobParams; provider: ProviderChoice }
  | { tool: 'filter'; params: FilterJobParams }
  | { tool: 'upscale'; params: UpscaleJobParams }
  | { tool: 'cutout'; params: CutoutJobParams }
  | { tool: 'face-enhance'; params: FaceEnhanceJobParams; provider: ProviderChoice };

/** What an engine said besides the fraction; a preview names the image of the run it shows. */
export interface RunDetail {
  stage?: string;
  etaSeconds?: number;
  preview?: PreviewFrame & { index: number };
}

export interface RunControl {
  signal: AbortSignal;
  /** Date.now() after which the engines must stop (the hold lapses soon after). */
  deadline: number;
  onProgress(fraction: number, detail?: RunDetail): void;
}

/** Thrown when the job's time (bounded by its hold) ran out before a task could start. */
class OutOfTimeError extends Error {
  override readonly name = 'OutOfTimeError';
}

function timeLeft(control: RunControl): number {
  const left = control.deadline - Date.now();
  if (left <= 0) throw new OutOfTimeError('the job ran out of time before its hold would lapse');
  return left;
}

function needInput(input: Uint8Array | null, tool: JobTool): Uint8Array {
  if (input === null) throw new EngineError('bad-params', `the ${tool} job has no input image`);
  return input;
}

export async function runEngines(
  pool: EnginePool,
  spec: RunSpec,
  input: Uint8Array | null,
  control: RunControl,
): Promise<EngineOutcome> {
  const options = () => ({
    signal: control.signal,
    onProgress: (fraction: number, detail?: ProgressDetail) =>
      control.onProgress(fraction, withIndex(detail, 0)),
    timeoutMs: timeLeft(control),
    // The input was read for this run alone: move it to the worker rather than copy it.
    transferInput: true,
  });
  switch (spec.tool) {
    case 'upscale': {
      const r = await pool.run(
        'upscale',
        needInput(input, spec.tool),
        upscaleParams(spec.params),
        options(),
      );
      return {
        images: [{ role: 'image', bytes: r.image, width: r.width, height: r.height }],
        shortfall: null,
      };
    }
    case 'filter': {
      const preset = spec.params.preset;
      if (!isFilterPreset(preset))
        throw new EngineError('bad-params', `unknown filter preset "${preset}"`);
      const r = await pool.run(
        'filter',
        needInput(input, spec.tool),
        { preset, strength: spec.params.strength },
        options(),
      );
      return {
        images: [{ role: 'image', bytes: r.image, width: r.width, height: r.height }],
        shortfall: null,
      };
    }
    case 'cutout': {
      const r = await pool.run('cutout', needInput(input, spec.tool), {}, options());
      return {
        images: [
          { role: 'image', bytes: r.image, width: r.width, height: r.height },
          { role: 'mask', bytes: r.mask, width: r.width, height: r.height },
        ],
        shortfall: null,
      };
    }
    case 'face-enhance': {
      const r = await pool.run(
        'face-enhance',
        needInput(input, spec.tool),
        { provider: spec.provider.config },
        options(),
      );
      return {
        images: [{ role: 'image', bytes: r.image, width: r.width, height: r.height }],
        shortfall: null,
      };
    }
    case 'generate':
      return generate(pool, spec.params, spec.provider, input, control);
  }
}

/** The engine's params of an upscale job; jobs from before tiers ran the fast model. */
function upscaleParams(p: UpscaleJobParams): UpscaleParams {
  if (p.mode === 'lanczos') return { factor: p.factor, mode: 'lanczos' };
  return { factor: p.factor, mode: 'esrgan', tier: p.tier ?? 'fast' };
}

async function generate(
  pool: EnginePool,
  p: GenerateJobParams,
  provider: ProviderChoice,
  input: Uint8Array | null,
  control: RunControl,
): Promise<EngineOutcome> {
  const images: EngineImage[] = [];
  const prompt = p.style ? `${p.prompt}, ${p.style} style` : p.prompt;
  const started = Date.now();
  for (let i = 0; i < p.count; i++) {
    const imageStarted = Date.now();
    try {
      const r = await pool.run(
        'generate',
        null,
        {
          provider: provider.config,
          request: {
            prompt,
            ...(p.negativePrompt ? { negativePrompt: p.negativePrompt } : {}),
            width: p.width,
            height: p.height,
            steps: p.steps,
            seed: (p.seed + i) >>> 0,
            count: 1,
            model: provider.model,
            ...(input ? { initImage: input } : {}),
            ...(p.strength === undefined ? {} : { strength: p.strength / 100 }),
          },
        },
        {
          signal: control.signal,
          timeoutMs: timeLeft(control),
          onProgress: (f, d) =>
            control.onProgress((i + f) / p.count, runDetail(d, i, p.count, started, imageStarted)),
        },
      );
      const bytes = r.images[0];
      if (!bytes) throw new ProviderError('bad-response', `${provider.id} returned no image`);
      images.push({ role: 'image', bytes, width: p.width, height: p.height });
    } catch (error) {
      // Cancelled, or nothing made: the job fails. Otherwise keep what was made.
      if (isAbortError(error) || images.length === 0) throw error;
      return { images, shortfall: describeFailure(error) };
    }
  }
  return { images, shortfall: null };
}

function withIndex(detail: ProgressDetail | undefined, index: number): RunDetail | undefined {
  if (!detail) return undefined;
  const { preview, ...rest } = detail;
  return preview ? { ...rest, preview: { ...preview, index } } : rest;
}

/**
 * Image i of a run of `count`: its stage says which image ("Image 2 of 4: Sampling step 3 of
 * 20"), and its ETA adds the images still to come at the pace of those made so far (or of this
 * one, as its own ETA predicts).
 */
function runDetail(
  detail: ProgressDetail | undefined,
  i: number,
  count: number,
  started: number,
  imageStarted: number,
): RunDetail | undefined {
  const out = withIndex(detail, i);
  if (!out || count === 1) return out;
  if (out.stage !== undefined) out.stage = `Image ${i + 1} of ${count}: ${out.stage}`.slice(0, 120);
  if (out.etaSeconds !== undefined) {
    const perImage =
      i > 0
        ? (imageStarted - started) / 1000 / i
        : (Date.now() - imageStarted) / 1000 + out.etaSeconds;
    out.etaSeconds += perImage * (count - i - 1);
  }
  return out;
}

/** The job's error code and message for anything an engine, provider or the pool threw. */
export function describeFailure(error: unknown): JobFailure {
  if (error instanceof ProviderError)
    return { code: `provider-${error.code}`, message: withoutAddresses(error.message) };
  if (error instanceof ImageInputError) return { code: error.code, message: error.message };
  if (error instanceof EngineError) return { code: error.code, message: error.message };
  if (error instanceof PoolError) {
    const message =
      error.code === 'timeout'
        ? 'the job did not finish in time; nothing was charged'
        : error.message;
    return { code: error.code === 'timeout' ? 'timeout' : `engine-${error.code}`, message };
  }
  if (error instanceof OutOfTimeError) return { code: 'timeout', message: error.message };
  if (error instanceof HttpError) return { code: error.code, message: error.message };
  return { code: 'internal', message: 'the job failed on the server; nothing was charged' };
}
