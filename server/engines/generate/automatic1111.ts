/**
 * Adapter for an Automatic1111 (stable-diffusion-webui, started with --api) server, following
 * its modules/api/api.py (1.10 line) and modules/progress.py:
 *
 * - `POST /sdapi/v1/txt2img` / `img2img` with `force_task_id`, so this run is a task the server
 *   can be asked about; base64 PNGs come back in `images`.
 * - The checkpoint is checked against `GET /sdapi/v1/sd-models` first, because the server
 *   silently ignores an `override_settings.sd_model_checkpoint` it does not know and runs on
 *   whatever is loaded (modules/processing.py) — a job must never be charged for another model.
 * - Progress and the live preview of this task only: `POST /internal/progress {id_task}`
 *   (absent when the webui runs with --nowebui: then `GET /sdapi/v1/progress`, used only while
 *   its `current_task` is this one).
 * - Cancel and time-out stop the run on the server: `POST /sdapi/v1/interrupt` once this task is
 *   the running one (a task still waiting for the server's queue lock is watched and interrupted
 *   when it starts), so an abandoned run never holds the server's single lock.
 * - Error bodies keep their reason (`{error, detail, body, errors}`), classified for the user.
 *
 * Seeds follow A1111's batch rule: image i of a batch uses seed + i, so a count split over
 * several requests gives the same images as one.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  EngineAbortError,
  type ProgressFn,
  clampFraction,
  noProgress,
  throwIfAborted,
} from '../errors';
import { errorReason, joinUrl, requestJson, sleep } from './http';
import {
  DEFAULT_STRENGTH,
  type EngineProbe,
  type GenerateProvider,
  type GenerationRequest,
  type GenerationResult,
  ProviderError,
  checkpointFamily,
} from './types';
import {
  checkRequest,
  decodeBase64Image,
  imageFormatOf,
  initImageAsPng,
  normaliseOutput,
} from './validate';

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
  /** Poll this task's progress every this many ms (default 1000; 0 turns polling off). */
  progressIntervalMs?: number;
  /** How long a cancelled task that still waits for the server's lock is watched (default 10 min). */
  cancelWatchMs?: number;
  /** Overrides the provider id (default 'automatic1111'). */
  id?: string;
}

const NAME = 'Automatic1111';

const ImagesResponse = z.object({
  images: z.array(z.string().min(1)),
  info: z.string().optional(),
});
const SdModels = z.array(
  z.object({
    title: z.string(),
    model_name: z.string(),
    hash: z.string().nullish(),
    sha256: z.string().nullish(),
    filename: z.string(),
  }),
);
const Samplers = z.array(z.object({ name: z.string() }));
const FaceRestorers = z.array(z.object({ name: z.string() }));
const Memory = z.object({ cuda: z.record(z.string(), z.unknown()).optional() });
/** modules/progress.py ProgressResponse */
const TaskProgress = z.object({
  active: z.boolean(),
  queued: z.boolean(),
  completed: z.boolean(),
  progress: z.number().nullish(),
  eta: z.number().nullish(),
  live_preview: z.string().nullish(),
  id_live_preview: z.number().nullish(),
  textinfo: z.string().nullish(),
});
/** modules/api/api.py progressapi (global) */
const GlobalProgress = z.object({
  progress: z.number(),
  eta_relative: z.number().nullish(),
  state: z
    .object({ sampling_step: z.number().optional(), sampling_steps: z.number().optional() })
    .passthrough(),
  current_image: z.string().nullish(),
  current_task: z.string().nullish(),
});

type SdModel = z.infer<typeof SdModels>[number];

/** The names the server accepts for a checkpoint (modules/sd_models.py CheckpointInfo.ids). */
function aliasesOf(m: SdModel): string[] {
  const name = m.title.replace(/ \[[0-9a-f]+\]$/, '');
  const base = (name.split(/[\\/]/).at(-1) ?? name).replace(/\.[^.]+$/, '');
  return [
    m.title,
    name,
    m.model_name,
    base,
    ...(m.hash ? [m.hash] : []),
    ...(m.sha256 ? [m.sha256] : []),
  ];
}

export class Automatic1111Provider implements GenerateProvider {
  readonly id: string;
  readonly label = 'Automatic1111 Stable Diffusion server';
  private readonly timeoutMs: number;
  private readonly maxBatch: number;
  /** Whether POST /internal/progress exists on this server (learnt on first use). */
  private taskProgress: boolean | null = null;

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
    const deadline = Date.now() + this.timeoutMs;
    onProgress(0, { stage: `Connecting to ${NAME}` });
    const checkpoint = req.model.trim() === '' ? null : await this.checkpoint(req.model, signal);
    const init = req.initImage
      ? Buffer.from(await initImageAsPng(req.initImage)).toString('base64')
      : undefined;
    const images: Uint8Array[] = [];
    while (images.length < req.count) {
      throwIfAborted(signal);
      const batch = Math.min(this.maxBatch, req.count - images.length);
      const taskId = `easel-${randomUUID()}`;
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
        force_task_id: taskId,
      };
      if (this.options.sampler) body.sampler_name = this.options.sampler;
      if (checkpoint) {
        body.override_settings = { sd_model_checkpoint: checkpoint.title };
        body.override_settings_restore_afterwards = true;
      }
      if (init !== undefined) {
        body.init_images = [init];
        body.denoising_strength = req.strength ?? DEFAULT_STRENGTH;
      }
      const done = images.length;
      const left = deadline - Date.now();
      if (left <= 0) throw this.timedOut();
      const run = new AbortController();
      const stopRun = () => run.abort();
      signal?.addEventListener('abort', stopRun, { once: true });
      const timer = setTimeout(stopRun, left);
      let answer: unknown;
      try {
        answer = await this.withProgress(
          taskId,
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
              { provider: NAME, timeoutMs: left + 1000, signal: run.signal },
            ),
          req.steps,
          (f, detail) => onProgress(clampFraction((done + f * batch) / req.count) * 0.99, detail),
          run.signal,
        );
      } catch (error) {
        if (run.signal.aborted) {
          // Cancelled or out of time: stop the run on the server, so it never holds the lock.
          this.stopTask(taskId);
          if (signal?.aborted) throw new EngineAbortError();
          throw this.timedOut();
        }
        throw this.classify(error);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stopRun);
      }
      const parsed = ImagesResponse.safeParse(answer);
      if (!parsed.success)
        throw new ProviderError(
          'bad-response',
          `${NAME} answered without an images array; check that the address is an Automatic1111 API.`,
        );
      if (checkpoint) this.checkModelUsed(parsed.data.info, checkpoint);
      // Extensions (e.g. ControlNet) may append extra images after the batch; the batch comes first.
      if (parsed.data.images.length < batch)
        throw new ProviderError(
          'bad-response',
          `${NAME} returned ${parsed.data.images.length} images where ${batch} were asked for.`,
        );
      for (const b64 of parsed.data.images.slice(0, batch))
        images.push(await normaliseOutput(decodeBase64Image(b64), req.width, req.height, this.id));
      onProgress(images.length / req.count, {
        stage: `Image ${images.length} of ${req.count} done`,
      });
    }
    return { images };
  }

  /** GFPGAN or CodeFormer through the extras endpoint (POST /sdapi/v1/extra-single-image). */
  async restoreFaces(
    image: Uint8Array,
    onProgress: ProgressFn = noProgress,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    onProgress(0, { stage: `Restoring faces on ${NAME}` });
    const restorers = await this.get('/sdapi/v1/face-restorers', FaceRestorers, signal);
    const names = restorers.map((r) => r.name);
    const gfpgan = names.includes('GFPGAN');
    if (!gfpgan && !names.includes('CodeFormer'))
      throw new ProviderError(
        'model-missing',
        `${NAME} has no face restorer (GFPGAN or CodeFormer); install one in the webui.`,
      );
    let answer: unknown;
    try {
      answer = await requestJson(
        joinUrl(this.options.baseUrl, '/sdapi/v1/extra-single-image'),
        {
          method: 'POST',
          headers: this.headers({ 'content-type': 'application/json' }),
          body: JSON.stringify({
            image: Buffer.from(await initImageAsPng(image)).toString('base64'),
            resize_mode: 0,
            upscaling_resize: 1,
            upscaler_1: 'None',
            gfpgan_visibility: gfpgan ? 1 : 0,
            codeformer_visibility: gfpgan ? 0 : 1,
            codeformer_weight: 0.5,
          }),
        },
        { provider: NAME, timeoutMs: this.timeoutMs, signal },
      );
    } catch (error) {
      throw this.classify(error);
    }
    const parsed = z.object({ image: z.string().min(1) }).safeParse(answer);
    if (!parsed.success)
      throw new ProviderError(
        'bad-response',
        `${NAME} answered the face restoration without an image.`,
      );
    onProgress(1, { stage: 'Faces restored' });
    return decodeBase64Image(parsed.data.image);
  }

  async probe(signal?: AbortSignal): Promise<EngineProbe> {
    const models = await this.get('/sdapi/v1/sd-models', SdModels, signal);
    const [samplers, restorers, memory] = await Promise.all([
      this.get('/sdapi/v1/samplers', Samplers, signal).catch(() => []),
      this.get('/sdapi/v1/face-restorers', FaceRestorers, signal).catch(() => []),
      this.get('/sdapi/v1/memory', Memory, signal).catch(() => null),
    ]);
    const system = memory?.cuda?.system;
    const total =
      typeof system === 'object' && system !== null && 'total' in system
        ? Number(system.total)
        : NaN;
    return {
      server: NAME,
      version: null,
      device:
        memory === null
          ? null
          : Number.isFinite(total) && total > 0
            ? { kind: 'gpu', name: 'CUDA', memoryGb: Math.round(total / 1024 ** 3) }
            : { kind: 'cpu', name: null, memoryGb: null },
      models: models.map((m) => ({
        name: m.title,
        family: checkpointFamily(m.title),
        aliases: aliasesOf(m),
      })),
      samplers: samplers.map((s) => s.name),
      imageToImage: true,
      faceEnhance: restorers.some((r) => r.name === 'GFPGAN' || r.name === 'CodeFormer'),
    };
  }

  private async get<S extends z.ZodType>(
    path: string,
    schema: S,
    signal?: AbortSignal,
  ): Promise<z.output<S>> {
    let answer: unknown;
    try {
      answer = await requestJson(
        joinUrl(this.options.baseUrl, path),
        { method: 'GET', headers: this.headers({}) },
        { provider: NAME, timeoutMs: 15_000, signal },
      );
    } catch (error) {
      throw this.classify(error);
    }
    const parsed = schema.safeParse(answer);
    if (!parsed.success)
      throw new ProviderError(
        'bad-response',
        `This is not an Automatic1111 API: ${path} answered something else. Check the address, and that the webui runs with --api.`,
      );
    return parsed.data;
  }

  /** The server's own checkpoint for a name it accepts; model-missing otherwise. */
  private async checkpoint(name: string, signal?: AbortSignal): Promise<SdModel> {
    const models = await this.get('/sdapi/v1/sd-models', SdModels, signal);
    const found = models.find((m) => aliasesOf(m).includes(name));
    if (!found)
      throw new ProviderError(
        'model-missing',
        `${NAME} has no checkpoint "${name}"${
          models.length
            ? ` (it has ${models
                .slice(0, 5)
                .map((m) => m.model_name)
                .join(', ')})`
            : ''
        }; choose one it has in Settings → Image engine.`,
      );
    return found;
  }

  /** The answer's infotext names the model that ran; it must be the one asked for. */
  private checkModelUsed(info: string | undefined, checkpoint: SdModel): void {
    if (!info) return;
    let used: unknown;
    try {
      used = (JSON.parse(info) as { sd_model_name?: unknown }).sd_model_name;
    } catch {
      return;
    }
    if (typeof used === 'string' && used !== '' && used !== checkpoint.model_name)
      throw new ProviderError(
        'model-missing',
        `${NAME} ran on ${used} instead of ${checkpoint.model_name}; nothing was charged. Check the checkpoint in Settings → Image engine.`,
      );
  }

  private timedOut(): ProviderError {
    return new ProviderError(
      'timeout',
      `${NAME} did not finish within ${Math.round(this.timeoutMs / 1000)} s; the run was stopped on the server. Try fewer steps or a smaller size.`,
    );
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const auth = this.options.auth;
    if (!auth) return extra;
    return {
      ...extra,
      authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
    };
  }

  private classify(error: unknown): unknown {
    if (!(error instanceof ProviderError) || error.code !== 'http-error') return error;
    const body = error.answer?.body;
    const reason = errorReason(body) ?? `HTTP ${error.status ?? '?'}`;
    const status = error.status ?? 0;
    const type =
      typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : '';
    if (status === 401)
      return new ProviderError(
        'auth',
        `${NAME} refused the user name or password (${reason}); check them in Settings → Image engine.`,
        status,
      );
    if (type === 'OutOfMemoryError' || /out of memory/i.test(reason))
      return new ProviderError(
        'out-of-memory',
        `${NAME} ran out of GPU memory (${reason.slice(0, 160)}); try a smaller size or fewer images.`,
        status,
      );
    if (status === 404)
      return new ProviderError(
        'bad-response',
        `There is no Automatic1111 API at this address (HTTP 404); start the webui with --api, or check the address.`,
        status,
      );
    if (status === 400 || status === 422)
      return new ProviderError('refused', `${NAME} refused the request (${reason}).`, status);
    return new ProviderError(
      'http-error',
      `${NAME} failed (HTTP ${status}: ${reason}); try again, and look at the webui's console if it keeps failing.`,
      status,
    );
  }

  /** Runs `work` while following this task's progress; progress failures are ignored. */
  private async withProgress<T>(
    taskId: string,
    work: () => Promise<T>,
    steps: number,
    report: ProgressFn,
    signal: AbortSignal,
  ): Promise<T> {
    const interval = this.options.progressIntervalMs ?? 1000;
    if (interval <= 0) return work();
    const stop = new AbortController();
    const poll = async (): Promise<void> => {
      let best = 0;
      let previewId = -1;
      while (!stop.signal.aborted) {
        try {
          await sleep(interval, stop.signal);
        } catch {
          return;
        }
        if (signal.aborted) return;
        try {
          const seen = await this.progressOf(taskId, previewId, stop.signal);
          if (!seen || stop.signal.aborted) continue;
          if (seen.previewId !== null) previewId = seen.previewId;
          best = Math.max(best, seen.fraction);
          const step = Math.min(steps, Math.round(seen.fraction * steps));
          report(best, {
            stage: seen.queued
              ? (seen.text ?? 'Waiting for the server')
              : `Sampling step ${step} of ${steps}`,
            ...(seen.eta !== null ? { etaSeconds: Math.max(0, seen.eta) } : {}),
            ...(seen.preview ? { preview: seen.preview } : {}),
          });
        } catch {
          // Progress is best effort.
        }
      }
    };
    const poller = poll();
    try {
      return await work();
    } finally {
      stop.abort();
      await poller;
    }
  }

  /** This task's progress, or null when the server cannot tell it apart from others. */
  private async progressOf(
    taskId: string,
    previewId: number,
    signal: AbortSignal,
  ): Promise<{
    queued: boolean;
    active: boolean;
    completed: boolean;
    fraction: number;
    eta: number | null;
    text: string | null;
    preview: { format: 'png' | 'jpeg' | 'webp'; bytes: Uint8Array } | null;
    previewId: number | null;
  } | null> {
    const http = { provider: NAME, timeoutMs: 5000, signal };
    if (this.taskProgress !== false) {
      try {
        const answer = TaskProgress.parse(
          await requestJson(
            joinUrl(this.options.baseUrl, '/internal/progress'),
            {
              method: 'POST',
              headers: this.headers({ 'content-type': 'application/json' }),
              body: JSON.stringify({
                id_task: taskId,
                id_live_preview: previewId,
                live_preview: true,
              }),
            },
            http,
          ),
        );
        this.taskProgress = true;
        const preview = answer.live_preview ? decodeBase64Image(answer.live_preview) : null;
        const format = preview ? imageFormatOf(preview) : null;
        return {
          queued: answer.queued,
          active: answer.active,
          completed: answer.completed,
          fraction: clampFraction(answer.progress ?? 0),
          eta: answer.eta ?? null,
          text: answer.textinfo ?? null,
          preview: preview && format ? { format, bytes: preview } : null,
          previewId: answer.id_live_preview ?? null,
        };
      } catch (error) {
        if (!(error instanceof ProviderError && error.status === 404)) throw error;
        this.taskProgress = false; // --nowebui: only the global endpoint exists
      }
    }
    const answer = GlobalProgress.parse(
      await requestJson(
        joinUrl(this.options.baseUrl, '/sdapi/v1/progress?skip_current_image=false'),
        { method: 'GET', headers: this.headers({}) },
        http,
      ),
    );
    // The global progress is whatever runs now: only this task's is reported.
    if (answer.current_task !== taskId) return null;
    const step = answer.state.sampling_step ?? 0;
    const of = answer.state.sampling_steps ?? 0;
    const preview = answer.current_image ? decodeBase64Image(answer.current_image) : null;
    const format = preview ? imageFormatOf(preview) : null;
    return {
      queued: false,
      active: true,
      completed: false,
      fraction: of > 0 ? clampFraction(step / of) : clampFraction(answer.progress),
      eta: answer.eta_relative ?? null,
      text: null,
      preview: preview && format ? { format, bytes: preview } : null,
      previewId: null,
    };
  }

  /**
   * Interrupts this task on the server once it runs (now, or when it gets the lock), giving up
   * after `cancelWatchMs`. Runs in the background: the caller has already moved on.
   */
  private stopTask(taskId: string): void {
    const until = Date.now() + (this.options.cancelWatchMs ?? 10 * 60_000);
    const interrupt = () =>
      requestJson(
        joinUrl(this.options.baseUrl, '/sdapi/v1/interrupt'),
        { method: 'POST', headers: this.headers({}) },
        { provider: NAME, timeoutMs: 5000 },
      );
    void (async () => {
      const unknownUntil = Date.now() + 5000;
      while (Date.now() < until) {
        let seen: Awaited<ReturnType<Automatic1111Provider['progressOf']>>;
        try {
          seen = await this.progressOf(taskId, -1, new AbortController().signal);
        } catch {
          // Cannot tell: interrupt what runs (on a personal server, our run), once.
          await interrupt().catch(() => undefined);
          return;
        }
        if (seen?.active) {
          await interrupt().catch(() => undefined);
          return;
        }
        if (seen?.completed) return;
        // Neither queued nor known a while after the request: it never reached the server.
        if (seen && !seen.queued && Date.now() > unknownUntil) return;
        await sleep(500).catch(() => undefined);
      }
    })();
  }
}
