/**
 * Adapter for a local ComfyUI server. It queues a standard Stable Diffusion workflow (API format)
 * with `POST /prompt`, polls `GET /history/{prompt_id}` until it has run, and fetches the saved
 * images with `GET /view`. Image-to-image uploads the init image with `POST /upload/image` and
 * encodes it instead of an empty latent. Each image is its own prompt with seed + i, so image i
 * of a request is the same picture as image 0 of a request with seed + i. On cancel the queued
 * prompts are deleted and the running one interrupted (best effort).
 *
 * ComfyUI reports step progress only over its WebSocket; this adapter reports progress per
 * finished image.
 */
import sharp from 'sharp';
import { z } from 'zod';
import {
  EngineAbortError,
  EngineError,
  type ProgressFn,
  noProgress,
  throwIfAborted,
} from '../errors';
import { joinUrl, requestBytes, requestJson } from './http';
import {
  DEFAULT_STRENGTH,
  type GenerateProvider,
  type GenerationRequest,
  type GenerationResult,
  ProviderError,
} from './types';
import { checkRequest, initImageAsPng, normaliseOutput } from './validate';

export interface ComfyUIOptions {
  /** e.g. 'http://127.0.0.1:8188' */
  baseUrl: string;
  /** Whole request, queueing included (default 600 s). */
  timeoutMs?: number;
  /** Checkpoint used when the request's model is empty. */
  defaultCheckpoint?: string;
  /** Sampler (default 'euler'), scheduler (default 'normal') and CFG scale (default 7). */
  sampler?: string;
  scheduler?: string;
  cfgScale?: number;
  /** How often /history is polled (default 500 ms). */
  pollIntervalMs?: number;
  /** Overrides the provider id (default 'comfyui'). */
  id?: string;
}

const QueueAnswer = z.object({ prompt_id: z.string().min(1) });
const UploadAnswer = z.object({
  name: z.string().min(1),
  subfolder: z.string().optional(),
  type: z.string().optional(),
});
const ImageRef = z.object({
  filename: z.string().min(1),
  subfolder: z.string().optional(),
  type: z.string().optional(),
});
const HistoryEntry = z.object({
  outputs: z
    .record(z.string(), z.object({ images: z.array(ImageRef).optional() }).passthrough())
    .optional(),
  status: z
    .object({
      status_str: z.string().optional(),
      completed: z.boolean().optional(),
      messages: z.array(z.unknown()).optional(),
    })
    .optional(),
});

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The API-format workflow for one image. Node "9" is the SaveImage node. */
export function comfyWorkflow(
  req: GenerationRequest,
  seed: number,
  checkpoint: string,
  options: Pick<ComfyUIOptions, 'sampler' | 'scheduler' | 'cfgScale'>,
  uploadedInit?: string,
): Graph {
  const graph: Graph = {
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: checkpoint } },
    '5': {
      class_type: 'EmptyLatentImage',
      inputs: { width: req.width, height: req.height, batch_size: 1 },
    },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: req.prompt, clip: ['4', 1] } },
    '7': {
      class_type: 'CLIPTextEncode',
      inputs: { text: req.negativePrompt ?? '', clip: ['4', 1] },
    },
    '3': {
      class_type: 'KSampler',
      inputs: {
        seed,
        steps: req.steps,
        cfg: options.cfgScale ?? 7,
        sampler_name: options.sampler ?? 'euler',
        scheduler: options.scheduler ?? 'normal',
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
  if (uploadedInit !== undefined) {
    delete graph['5'];
    graph['10'] = { class_type: 'LoadImage', inputs: { image: uploadedInit } };
    graph['11'] = { class_type: 'VAEEncode', inputs: { pixels: ['10', 0], vae: ['4', 2] } };
    const sampler = graph['3'];
    if (sampler) {
      sampler.inputs.latent_image = ['11', 0];
      sampler.inputs.denoise = req.strength ?? DEFAULT_STRENGTH;
    }
  }
  return graph;
}

export class ComfyUIProvider implements GenerateProvider {
  readonly id: string;
  readonly label = 'ComfyUI server';

  constructor(private readonly options: ComfyUIOptions) {
    this.id = options.id ?? 'comfyui';
  }

  async generate(
    req: GenerationRequest,
    onProgress: ProgressFn = noProgress,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    checkRequest(req);
    const checkpoint = req.model.trim() || this.options.defaultCheckpoint;
    if (!checkpoint)
      throw new EngineError(
        'bad-params',
        'ComfyUI needs a checkpoint: set the request model or defaultCheckpoint.',
      );
    const deadline = Date.now() + (this.options.timeoutMs ?? 600_000);
    const clientId = `easel-${process.pid}-${Date.now().toString(36)}`;
    const queued: string[] = [];
    onProgress(0);
    try {
      const uploaded = req.initImage
        ? await this.upload(req.initImage, req, deadline, signal)
        : undefined;
      for (let i = 0; i < req.count; i++) {
        const graph = comfyWorkflow(req, (req.seed + i) >>> 0, checkpoint, this.options, uploaded);
        const answer = QueueAnswer.safeParse(
          await requestJson(
            this.url('/prompt'),
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ prompt: graph, client_id: clientId }),
            },
            this.http(deadline, signal),
          ),
        );
        if (!answer.success)
          throw new ProviderError('bad-response', `${this.id} did not return a prompt_id.`);
        queued.push(answer.data.prompt_id);
      }
      const images: Uint8Array[] = [];
      for (const promptId of queued) {
        const refs = await this.waitFor(promptId, deadline, signal);
        const ref = refs[0];
        if (!ref)
          throw new ProviderError('bad-response', `${this.id} finished a prompt without an image.`);
        const query = new URLSearchParams({
          filename: ref.filename,
          subfolder: ref.subfolder ?? '',
          type: ref.type ?? 'output',
        });
        const bytes = await requestBytes(
          this.url(`/view?${query.toString()}`),
          { method: 'GET' },
          this.http(deadline, signal),
        );
        images.push(await normaliseOutput(new Uint8Array(bytes), req.width, req.height, this.id));
        onProgress(images.length / req.count);
      }
      return { images };
    } catch (error) {
      if (signal?.aborted && queued.length > 0) await this.forget(queued);
      throw error;
    }
  }

  private url(path: string): string {
    return joinUrl(this.options.baseUrl, path);
  }

  private http(
    deadline: number,
    signal?: AbortSignal,
  ): { provider: string; timeoutMs: number; signal?: AbortSignal } {
    const left = deadline - Date.now();
    if (left <= 0)
      throw new ProviderError(
        'timeout',
        `${this.id} did not finish within ${Math.round((this.options.timeoutMs ?? 600_000) / 1000)} s.`,
      );
    return { provider: this.id, timeoutMs: Math.min(left, 60_000), signal };
  }

  private async upload(
    initImage: Uint8Array,
    req: GenerationRequest,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<string> {
    // The encoded init image sets the output size, so it is fitted to the requested size first.
    const png = await sharp(await initImageAsPng(initImage))
      .resize(req.width, req.height, { fit: 'cover' })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append(
      'image',
      new Blob([new Uint8Array(png)], { type: 'image/png' }),
      `easel-init-${Date.now().toString(36)}.png`,
    );
    form.append('overwrite', 'true');
    const answer = UploadAnswer.safeParse(
      await requestJson(
        this.url('/upload/image'),
        { method: 'POST', body: form },
        this.http(deadline, signal),
      ),
    );
    if (!answer.success)
      throw new ProviderError('bad-response', `${this.id} did not accept the init image.`);
    return answer.data.subfolder
      ? `${answer.data.subfolder}/${answer.data.name}`
      : answer.data.name;
  }

  /** Polls the history until the prompt has run; returns its SaveImage outputs. */
  private async waitFor(
    promptId: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<z.infer<typeof ImageRef>[]> {
    const interval = this.options.pollIntervalMs ?? 500;
    for (;;) {
      throwIfAborted(signal);
      const history: unknown = await requestJson(
        this.url(`/history/${encodeURIComponent(promptId)}`),
        { method: 'GET' },
        this.http(deadline, signal),
      );
      const entry =
        typeof history === 'object' && history !== null && promptId in history
          ? (history as Record<string, unknown>)[promptId]
          : undefined;
      if (entry !== undefined) {
        const parsed = HistoryEntry.safeParse(entry);
        if (!parsed.success)
          throw new ProviderError(
            'bad-response',
            `${this.id} sent a history entry of an unexpected shape.`,
          );
        const status = parsed.data.status;
        if (status?.status_str === 'error') {
          throw new ProviderError(
            'bad-response',
            `${this.id} failed to run the workflow${executionError(status.messages)}.`,
          );
        }
        const images = Object.values(parsed.data.outputs ?? {}).flatMap((o) => o.images ?? []);
        if (images.length > 0 || status?.completed)
          return images.filter((i) => (i.type ?? 'output') === 'output');
      }
      await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), signal);
    }
  }

  /** Best effort: drop our queued prompts and interrupt the one running. */
  private async forget(promptIds: string[]): Promise<void> {
    const quick = { provider: this.id, timeoutMs: 2000 };
    await Promise.allSettled([
      requestBytes(
        this.url('/queue'),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ delete: promptIds }),
        },
        quick,
      ),
      requestBytes(this.url('/interrupt'), { method: 'POST' }, quick),
    ]);
  }
}

function executionError(messages: unknown[] | undefined): string {
  for (const m of messages ?? []) {
    if (
      Array.isArray(m) &&
      m[0] === 'execution_error' &&
      typeof m[1] === 'object' &&
      m[1] !== null &&
      'exception_message' in m[1]
    ) {
      return `: ${String(m[1].exception_message).slice(0, 300)}`;
    }
  }
  return '';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(new EngineAbortError());
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
