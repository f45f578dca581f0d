/**
 * Adapter for a local Automatic1111 (stable-diffusion-webui, started with --api) server:
 * `POST /sdapi/v1/txt2img` and `POST /sdapi/v1/img2img`, base64 PNGs in `images`. While a request
 * runs, `GET /sdapi/v1/progress` is polled for progress. Seeds follow A1111's batch rule: image i
 * of a batch uses seed + i, so a count split over several requests gives the same images as one.
 */
import { z } from 'zod';
import { type ProgressFn, clampFraction, noProgress, throwIfAborted } from '../errors';
import { joinUrl, requestJson } from './http';
import {
  DEFAULT_STRENGTH,
  type GenerateProvider,
  type GenerationRequest,
  type GenerationResult,
  ProviderError,
} from './types';
import { checkRequest, decodeBase64Image, initImageAsPng, normaliseOutput } from './validate';

export interface Automatic1111Options {
  /** e.g. 'http://127.0.0.1:7860' */
  baseUrl: string;
  /** For servers started with --api-auth. */
  auth?: { username: string; password: string };
  /** Per HTTP request (default 600 s: CPU generation is slow). */
  timeoutMs?: number;
  /** Largest batch_size per request (default 4). */
  maxBatch?: number;
  /** Classifier-free guidance scale (default 7). */
  cfgScale?: number;
  /** Sampler name (default: the server's default). */
  sampler?: string;
  /** Poll /sdapi/v1/progress every this many ms (default 1000; 0 turns polling off). */
  progressIntervalMs?: number;
  /** Overrides the provider id (default 'automatic1111'). */
  id?: string;
}

const ImagesResponse = z.object({ images: z.array(z.string().min(1)) });
const ProgressResponse = z.object({ progress: z.number() });

export class Automatic1111Provider implements GenerateProvider {
  readonly id: string;
  readonly label = 'Automatic1111 Stable Diffusion server';
  private readonly timeoutMs: number;
  private readonly maxBatch: number;

  constructor(private readonly options: Automatic1111Options) {
    this.id = options.id ?? 'automatic1111';
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.maxBatch = Math.max(1, Math.min(16, Math.floor(options.maxBatch ?? 4)));
  }

  async generate(
    req: GenerationRequest,
    onProgress: ProgressFn = noProgress,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    checkRequest(req);
    const init = req.initImage
      ? Buffer.from(await initImageAsPng(req.initImage)).toString('base64')
      : undefined;
    const images: Uint8Array[] = [];
    onProgress(0);
    while (images.length < req.count) {
      throwIfAborted(signal);
      const batch = Math.min(this.maxBatch, req.count - images.length);
      const body: Record<string, unknown> = {
        prompt: req.prompt,
        negative_prompt: req.negativePrompt ?? '',
        width: req.width,
        height: req.height,
        steps: req.steps,
        seed: (req.seed + images.length) >>> 0,
        batch_size: batch,
        n_iter: 1,
        cfg_scale: this.options.cfgScale ?? 7,
        send_images: true,
        save_images: false,
      };
      if (this.options.sampler) body.sampler_name = this.options.sampler;
      if (req.model.trim() !== '') {
        body.override_settings = { sd_model_checkpoint: req.model };
        body.override_settings_restore_afterwards = true;
      }
      if (init !== undefined) {
        body.init_images = [init];
        body.denoising_strength = req.strength ?? DEFAULT_STRENGTH;
      }
      const done = images.length;
      const answer = await this.withProgress(
        () =>
          requestJson(
            joinUrl(
              this.options.baseUrl,
              init === undefined ? '/sdapi/v1/txt2img' : '/sdapi/v1/img2img',
            ),
            {
              method: 'POST',
              headers: this.headers({ 'content-type': 'application/json' }),
              body: JSON.stringify(body),
            },
            { provider: this.id, timeoutMs: this.timeoutMs, signal },
          ),
        (f) => onProgress(clampFraction((done + f * batch) / req.count) * 0.99),
        signal,
      );
      const parsed = ImagesResponse.safeParse(answer);
      if (!parsed.success)
        throw new ProviderError('bad-response', `${this.id} answered without an images array.`);
      // Extensions (e.g. ControlNet) may append extra images after the batch; the batch comes first.
      if (parsed.data.images.length < batch)
        throw new ProviderError(
          'bad-response',
          `${this.id} returned ${parsed.data.images.length} images; ${batch} were asked for.`,
        );
      for (const b64 of parsed.data.images.slice(0, batch))
        images.push(await normaliseOutput(decodeBase64Image(b64), req.width, req.height, this.id));
      onProgress(images.length / req.count);
    }
    return { images };
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const auth = this.options.auth;
    if (!auth) return extra;
    return {
      ...extra,
      authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
    };
  }

  /** Runs `work` while polling the server's progress endpoint; polling errors are ignored. */
  private async withProgress<T>(
    work: () => Promise<T>,
    report: (fraction: number) => void,
    signal?: AbortSignal,
  ): Promise<T> {
    const interval = this.options.progressIntervalMs ?? 1000;
    if (interval <= 0) return work();
    let stopped = false;
    let best = 0;
    const stop = new AbortController();
    const poll = async (): Promise<void> => {
      while (!stopped) {
        await new Promise<void>((resolve) => {
          // One listener per wait, removed when the wait ends: polls must not pile them up.
          const onAbort = () => {
            clearTimeout(t);
            resolve();
          };
          const t = setTimeout(() => {
            stop.signal.removeEventListener('abort', onAbort);
            resolve();
          }, interval);
          stop.signal.addEventListener('abort', onAbort, { once: true });
        });
        if (stopped || signal?.aborted) return;
        try {
          const answer = await requestJson(
            joinUrl(this.options.baseUrl, '/sdapi/v1/progress?skip_current_image=true'),
            { method: 'GET', headers: this.headers({}) },
            { provider: this.id, timeoutMs: Math.max(1000, interval * 2), signal: stop.signal },
          );
          const parsed = ProgressResponse.safeParse(answer);
          if (parsed.success && !stopped && parsed.data.progress > best) {
            best = clampFraction(parsed.data.progress);
            report(best);
          }
        } catch {
          // Progress is best effort.
        }
      }
    };
    const poller = poll();
    try {
      return await work();
    } finally {
      stopped = true;
      stop.abort();
      await poller;
    }
  }
}
