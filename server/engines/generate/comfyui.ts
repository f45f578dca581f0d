/**
 * Adapter for a ComfyUI server (local or remote), following its server.py and execution.py
 * (ComfyUI 0.3.64) and the way Krita's AI Diffusion plugin drives it
 * (ai_diffusion/backend/comfy_client.py):
 *
 * - One of Easel's workflow templates (comfy-workflows.ts) per image, chosen by the checkpoint's
 *   family, queued with `POST /prompt {prompt, client_id, prompt_id}`; the prompt id is made
 *   here, so the prompt can be stopped even when the answer to the POST is lost. A 400 keeps
 *   ComfyUI's reason (`error` and `node_errors`, e.g. "ckpt_name: 'x' not in list").
 * - Progress from the WebSocket (`progress` of the sampler node: "Sampling step 12 of 30"), the
 *   sampler's latent previews (binary frames), and the end of the run (`executing` with node
 *   null); the history is polled too, so a lost message or socket only slows things down, and a
 *   prompt that vanished from both the queue and the history (cleared, server restarted) fails
 *   within seconds instead of being waited on.
 * - Cancel and time-out remove this run's prompts from the queue (`POST /queue {delete}`), then
 *   interrupt the one running, by prompt id (`POST /interrupt {prompt_id}`), and only when
 *   `GET /queue` shows it running: never another client's prompt.
 * - Results are read from `GET /history/{prompt_id}` and fetched with `GET /view`; an init image
 *   is uploaded under a unique name (`POST /upload/image`).
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { z } from 'zod';
import {
  EngineAbortError,
  EngineError,
  type ProgressFn,
  noProgress,
  throwIfAborted,
} from '../errors';
import { type ComfyWorkflowInput, comfyWorkflow, latentSide } from './comfy-workflows';
import { type ComfyMessage, openComfySocket } from './comfy-socket';
import { errorReason, joinUrl, requestBytes, requestJson } from './http';
import {
  DEFAULT_STRENGTH,
  type EngineProbe,
  type GenerateProvider,
  type GenerationRequest,
  type GenerationResult,
  type ModelFamily,
  ProviderError,
  checkpointFamily,
} from './types';
import { checkRequest, initImageAsPng, normaliseOutput } from './validate';

export interface ComfyUIOptions {
  /** e.g. 'http://127.0.0.1:8188' */
  baseUrl: string;
  /** Whole request, queueing included (default 600 s). */
  timeoutMs?: number;
  /** Checkpoint used when the request's model is empty. */
  defaultCheckpoint?: string;
  /** Overrides of the workflow family's sampler, scheduler and CFG scale. */
  sampler?: string;
  scheduler?: string;
  cfgScale?: number;
  /** The family of checkpoints whose names do not tell it. */
  families?: Record<string, ModelFamily>;
  /** How often the history is polled (default 1000 ms with the WebSocket, 500 ms without). */
  pollIntervalMs?: number;
  /** Follow the WebSocket for progress and previews (default true). */
  websocket?: boolean;
  /** Overrides the provider id (default 'comfyui'). */
  id?: string;
}

const NAME = 'ComfyUI';
const SAMPLER_NODE = '3';
const OUTPUT_NODE = '9';

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
    .nullish(),
});
const QueueState = z.object({
  queue_running: z.array(z.array(z.unknown())),
  queue_pending: z.array(z.array(z.unknown())),
});
const SystemStats = z.object({
  system: z.object({ comfyui_version: z.string().optional() }).passthrough(),
  devices: z.array(
    z
      .object({
        name: z.string().optional(),
        type: z.string().optional(),
        vram_total: z.number().optional(),
      })
      .passthrough(),
  ),
});

type Ref = z.infer<typeof ImageRef>;

/** What the socket said about one prompt. */
interface PromptState {
  started: boolean;
  done: boolean;
  failure: ProviderError | null;
  wake: () => void;
}

/** A combo input's options, in object_info's old (`[[…]]`) or new (`["COMBO", {options}]`) form. */
function comboOptions(info: unknown, node: string, input: string): string[] | null {
  const spec = (
    info as Record<string, { input?: { required?: Record<string, unknown> } }> | null
  )?.[node]?.input?.required?.[input];
  if (!Array.isArray(spec)) return null;
  const [first, second] = spec as [unknown, unknown];
  if (Array.isArray(first)) return first.filter((x): x is string => typeof x === 'string');
  if (
    first === 'COMBO' &&
    typeof second === 'object' &&
    second !== null &&
    'options' in second &&
    Array.isArray(second.options)
  )
    return second.options.filter((x: unknown): x is string => typeof x === 'string');
  return null;
}

/** ComfyUI's reason for a failed run, from an `execution_error` message's data. */
function runFailure(data: Record<string, unknown>): ProviderError {
  const message = String(data.exception_message ?? 'unknown error').trim();
  const node = String(data.node_type ?? 'a node');
  const first = message.split('\n')[0]?.slice(0, 200) ?? message;
  if (
    /OutOfMemory/i.test(String(data.exception_type ?? '')) ||
    /out of memory|Allocation on device/i.test(message)
  )
    return new ProviderError(
      'out-of-memory',
      // ComfyUI's first line is often just "Allocation on device": it says nothing more.
      `${NAME} ran out of GPU memory in ${node}${/^Allocation on device\s*$/i.test(first) ? '' : ` (${first.trim()})`}; try a smaller size or fewer steps.`,
    );
  return new ProviderError(
    'workflow',
    `${NAME} failed in ${node}: ${first}. Look at the ComfyUI console for details.`,
  );
}

/** A 400 from POST /prompt, with the node errors that explain it (execution.py validate_prompt). */
function promptRefusal(error: ProviderError): ProviderError {
  const body = error.answer?.body as { node_errors?: unknown } | undefined;
  const nodeErrors =
    body && typeof body.node_errors === 'object' && body.node_errors !== null
      ? Object.values(body.node_errors as Record<string, unknown>)
      : [];
  for (const node of nodeErrors) {
    const n = node as { class_type?: unknown; errors?: unknown };
    for (const e of Array.isArray(n.errors) ? n.errors : []) {
      const item = e as {
        type?: unknown;
        details?: unknown;
        extra_info?: { input_name?: unknown; received_value?: unknown };
      };
      if (item.type === 'value_not_in_list' && item.extra_info?.input_name === 'ckpt_name')
        return new ProviderError(
          'model-missing',
          `${NAME} has no checkpoint "${String(item.extra_info.received_value)}"; choose one it has in Settings → Image engine.`,
          400,
        );
    }
  }
  const details = nodeErrors
    .flatMap((node) => {
      const n = node as { class_type?: unknown; errors?: unknown };
      return (Array.isArray(n.errors) ? n.errors : []).map((e) =>
        `${String(n.class_type ?? '')} ${String((e as { details?: unknown }).details ?? (e as { message?: unknown }).message ?? '')}`.trim(),
      );
    })
    .slice(0, 3)
    .join('; ');
  const reason = errorReason(body) ?? 'the workflow is not valid';
  return new ProviderError(
    'workflow',
    `${NAME} cannot run this workflow: ${details || reason}. Update ComfyUI, or choose another model in Settings → Image engine.`,
    400,
  );
}

export class ComfyUIProvider implements GenerateProvider {
  readonly id: string;
  readonly label = 'ComfyUI server';

  constructor(private readonly options: ComfyUIOptions) {
    this.id = options.id ?? 'comfyui';
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 600_000;
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
    const family = this.options.families?.[checkpoint] ?? checkpointFamily(checkpoint);
    const deadline = Date.now() + this.timeoutMs;
    const clientId = randomUUID().replace(/-/g, '');
    const prompts = new Map<string, PromptState>();
    const queued: string[] = [];
    let current = 0;
    let lastFraction = 0;
    let stepStart: { at: number; value: number } | null = null;
    const report = (fraction: number, detail: Parameters<ProgressFn>[1]) => {
      lastFraction = Math.max(lastFraction, fraction);
      onProgress(lastFraction, detail);
    };
    const onMessage = (m: ComfyMessage): void => {
      const promptId = typeof m.data.prompt_id === 'string' ? m.data.prompt_id : null;
      const state = promptId ? prompts.get(promptId) : undefined;
      if (!state) return;
      const index = queued.indexOf(promptId ?? '');
      switch (m.type) {
        case 'execution_start':
          state.started = true;
          report(index / req.count, { stage: 'Starting on ComfyUI' });
          break;
        case 'executing':
          if (m.data.node === null) {
            state.done = true;
            state.wake();
          } else if (m.data.node === '4') report(index / req.count, { stage: 'Loading the model' });
          else if (m.data.node === '8')
            report((index + 0.95) / req.count, { stage: 'Decoding the image' });
          break;
        case 'progress': {
          const value = Number(m.data.value);
          const max = Number(m.data.max);
          if (m.data.node !== SAMPLER_NODE || !(max > 0)) break;
          const now = Date.now();
          if (!stepStart || value <= 1) stepStart = { at: now, value };
          const perStep =
            value > stepStart.value ? (now - stepStart.at) / (value - stepStart.value) : null;
          report((index + 0.05 + 0.9 * (value / max)) / req.count, {
            stage: `Sampling step ${value} of ${max}`,
            ...(perStep !== null ? { etaSeconds: ((max - value) * perStep) / 1000 } : {}),
          });
          break;
        }
        case 'execution_error':
          state.failure = runFailure(m.data);
          state.wake();
          break;
        case 'execution_interrupted':
          state.failure = new ProviderError(
            'interrupted',
            `The run was stopped on ${NAME} itself; nothing was charged.`,
          );
          state.wake();
          break;
      }
    };
    let socket: { close(): void } | null = null;
    if (this.options.websocket !== false) {
      socket = await openComfySocket(
        `${joinUrl(this.options.baseUrl, '/ws').replace(/^http/, 'ws')}?clientId=${clientId}`,
        {
          message: onMessage,
          preview: (frame, promptId) => {
            const id = promptId ?? queued[current];
            if (id && prompts.get(id)?.started && !prompts.get(id)?.done)
              onProgress(lastFraction, { preview: frame });
          },
          closed: () => {
            for (const p of prompts.values()) p.wake();
          },
        },
        Math.min(5000, this.timeoutMs),
      ).catch(() => null); // no socket: the history is polled, progress per image
    }
    onProgress(0, { stage: 'Sending the workflow to ComfyUI' });
    try {
      const init = req.initImage
        ? await this.upload(req.initImage, req, family, deadline, signal)
        : undefined;
      for (let i = 0; i < req.count; i++) {
        const input: ComfyWorkflowInput = {
          family,
          checkpoint,
          prompt: req.prompt,
          negativePrompt: req.negativePrompt ?? '',
          width: req.width,
          height: req.height,
          steps: req.steps,
          seed: (req.seed + i) >>> 0,
          ...(init ? { init: { image: init, denoise: req.strength ?? DEFAULT_STRENGTH } } : {}),
          ...(this.options.sampler ? { sampler: this.options.sampler } : {}),
          ...(this.options.scheduler ? { scheduler: this.options.scheduler } : {}),
          ...(this.options.cfgScale !== undefined ? { cfg: this.options.cfgScale } : {}),
        };
        const promptId = randomUUID();
        const state: PromptState = { started: false, done: false, failure: null, wake: () => {} };
        prompts.set(promptId, state);
        queued.push(promptId);
        let answer: unknown;
        try {
          answer = await requestJson(
            this.url('/prompt'),
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                prompt: comfyWorkflow(input),
                client_id: clientId,
                prompt_id: promptId,
              }),
            },
            this.http(deadline, signal),
          );
        } catch (error) {
          if (error instanceof ProviderError && error.status === 400) throw promptRefusal(error);
          throw this.classify(error);
        }
        const parsed = QueueAnswer.safeParse(answer);
        if (!parsed.success)
          throw new ProviderError(
            'bad-response',
            `${NAME} did not return a prompt_id; check that the address is a ComfyUI server.`,
          );
        if (parsed.data.prompt_id !== promptId) {
          // Servers before 0.3.45 make their own id.
          prompts.delete(promptId);
          prompts.set(parsed.data.prompt_id, state);
          queued[queued.length - 1] = parsed.data.prompt_id;
        }
      }
      const images: Uint8Array[] = [];
      for (; current < queued.length; current++) {
        const promptId = queued[current] ?? '';
        const refs = await this.waitFor(
          promptId,
          prompts.get(promptId),
          socket !== null,
          deadline,
          signal,
          (stage) => report(current / req.count, { stage }),
        );
        const ref = refs[0];
        if (!ref)
          throw new ProviderError('bad-response', `${NAME} finished the prompt without an image.`);
        const query = new URLSearchParams({
          filename: ref.filename,
          subfolder: ref.subfolder ?? '',
          type: ref.type ?? 'output',
        });
        const bytes = await requestBytes(
          this.url(`/view?${query.toString()}`),
          { method: 'GET' },
          this.http(deadline, signal),
        ).catch((e: unknown) => {
          throw this.classify(e);
        });
        images.push(await normaliseOutput(new Uint8Array(bytes), req.width, req.height, this.id));
        report((current + 1) / req.count, { stage: `Image ${current + 1} of ${req.count} done` });
      }
      return { images };
    } catch (error) {
      const unfinished = queued.filter((id) => !prompts.get(id)?.done);
      const stopped =
        signal?.aborted || (error instanceof ProviderError && error.code === 'timeout');
      if (stopped && unfinished.length > 0) await this.stop(unfinished, prompts);
      if (signal?.aborted) throw new EngineAbortError();
      throw error;
    } finally {
      socket?.close();
    }
  }

  async probe(signal?: AbortSignal): Promise<EngineProbe> {
    const http = { provider: NAME, timeoutMs: 15_000, signal };
    let stats: z.infer<typeof SystemStats>;
    try {
      const parsed = SystemStats.safeParse(
        await requestJson(this.url('/system_stats'), { method: 'GET' }, http),
      );
      if (!parsed.success) throw new ProviderError('bad-response', 'not ComfyUI');
      stats = parsed.data;
    } catch (error) {
      if (error instanceof ProviderError && (error.code === 'bad-response' || error.status === 404))
        throw new ProviderError(
          'bad-response',
          `There is no ComfyUI at this address (/system_stats ${error.status === 404 ? 'is missing' : 'answered something else'}); check the address and port (ComfyUI's default is 8188).`,
        );
      throw this.classify(error);
    }
    const [ckpt, sampler, flux] = await Promise.all(
      ['CheckpointLoaderSimple', 'KSampler', 'FluxGuidance'].map((node) =>
        requestJson(this.url(`/object_info/${node}`), { method: 'GET' }, http).catch(
          (e: unknown) => {
            throw this.classify(e);
          },
        ),
      ),
    );
    const checkpoints = comboOptions(ckpt, 'CheckpointLoaderSimple', 'ckpt_name') ?? [];
    const hasFlux = typeof flux === 'object' && flux !== null && 'FluxGuidance' in flux;
    const device = stats.devices[0];
    const type = device?.type ?? '';
    return {
      server: NAME,
      version: stats.system.comfyui_version ?? null,
      device: device
        ? {
            kind:
              type === 'cpu'
                ? 'cpu'
                : type === 'cuda' || type === 'mps' || type === 'xpu' || type === 'privateuseone'
                  ? 'gpu'
                  : 'other',
            // "cuda:0 NVIDIA GeForce RTX 3070 : cudaMallocAsync" (model_management.get_torch_device_name)
            name: device.name?.replace(/^\S+:\d+\s+/, '').replace(/\s+:\s+\S+$/, '') ?? null,
            memoryGb: device.vram_total ? Math.round(device.vram_total / 1024 ** 3) : null,
          }
        : null,
      models: checkpoints
        .map((name) => ({ name, family: this.options.families?.[name] ?? checkpointFamily(name) }))
        .filter((m) => hasFlux || m.family !== 'flux'),
      samplers: comboOptions(sampler, 'KSampler', 'sampler_name') ?? [],
      imageToImage: true,
      faceEnhance: false,
    };
  }

  private url(path: string): string {
    return joinUrl(this.options.baseUrl, path);
  }

  private http(
    deadline: number,
    signal?: AbortSignal,
  ): { provider: string; timeoutMs: number; signal?: AbortSignal } {
    const left = deadline - Date.now();
    if (left <= 0) throw this.timedOut();
    return { provider: NAME, timeoutMs: Math.min(left, 60_000), signal };
  }

  private timedOut(): ProviderError {
    return new ProviderError(
      'timeout',
      `${NAME} did not finish within ${Math.round(this.timeoutMs / 1000)} s; the run was stopped on the server. Try fewer steps or a smaller size.`,
    );
  }

  private classify(error: unknown): unknown {
    if (!(error instanceof ProviderError) || error.code !== 'http-error') return error;
    const reason = errorReason(error.answer?.body) ?? `HTTP ${error.status ?? '?'}`;
    if (error.status === 401 || error.status === 403)
      return new ProviderError(
        'auth',
        `${NAME} refused access (${reason}); check the address and any key in Settings → Image engine.`,
        error.status,
      );
    if (error.status === 404)
      return new ProviderError(
        'bad-response',
        `There is no ComfyUI API at this address (HTTP 404); check the address and port.`,
        error.status,
      );
    return new ProviderError(
      'http-error',
      `${NAME} failed (HTTP ${error.status ?? '?'}: ${reason}); look at the ComfyUI console.`,
      error.status,
    );
  }

  private async upload(
    initImage: Uint8Array,
    req: GenerationRequest,
    family: ModelFamily,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<string> {
    // The encoded init image sets the latent's size, so it is fitted to that size first.
    const png = await sharp(await initImageAsPng(initImage))
      .resize(latentSide(req.width, family), latentSide(req.height, family), { fit: 'cover' })
      .png()
      .toBuffer();
    const form = new FormData();
    // A name of its own: two uploads at the same moment must never overwrite each other.
    form.append(
      'image',
      new Blob([new Uint8Array(png)], { type: 'image/png' }),
      `easel-${randomUUID()}.png`,
    );
    form.append('type', 'input');
    let answer: unknown;
    try {
      answer = await requestJson(
        this.url('/upload/image'),
        { method: 'POST', body: form },
        this.http(deadline, signal),
      );
    } catch (error) {
      throw this.classify(error);
    }
    const parsed = UploadAnswer.safeParse(answer);
    if (!parsed.success)
      throw new ProviderError('bad-response', `${NAME} did not accept the starting image.`);
    return parsed.data.subfolder
      ? `${parsed.data.subfolder}/${parsed.data.name}`
      : parsed.data.name;
  }

  /**
   * Waits until the prompt has run (the socket says so, or the history has it) and returns its
   * saved images. Fails on the run's error, on an interrupt, when the prompt is gone from both
   * the queue and the history, and at the deadline.
   */
  private async waitFor(
    promptId: string,
    state: PromptState | undefined,
    socket: boolean,
    deadline: number,
    signal: AbortSignal | undefined,
    stage: (text: string) => void,
  ): Promise<Ref[]> {
    const interval = this.options.pollIntervalMs ?? (socket ? 1000 : 500);
    let missing = 0;
    for (let poll = 0; ; poll++) {
      throwIfAborted(signal);
      if (state?.failure) throw state.failure;
      const entry = await this.history(promptId, deadline, signal);
      if (entry) return this.outputsOf(entry);
      // (When the socket said done before the history was readable, it is read again shortly.)
      if (!state?.done && (!state?.started || poll % 3 === 0)) {
        const place = await this.placeOf(promptId, deadline, signal);
        if (place === 'gone') {
          // Re-read the history once: the prompt may have finished between the two reads.
          if (++missing >= 2 && !(await this.history(promptId, deadline, signal)))
            throw new ProviderError(
              'interrupted',
              `${NAME} no longer has this prompt: its queue was cleared or the server restarted. Nothing was charged; try again.`,
            );
        } else {
          missing = 0;
          if (typeof place === 'number' && !state?.started)
            stage(
              place === 0
                ? 'Next in ComfyUI’s queue'
                : `Waiting in ComfyUI’s queue (${place} ahead)`,
            );
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw this.timedOut();
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', aborted);
          resolve();
        };
        const aborted = () => {
          clearTimeout(timer);
          reject(new EngineAbortError());
        };
        const timer = setTimeout(wake, Math.min(interval, left));
        if (state) state.wake = wake;
        signal?.addEventListener('abort', aborted, { once: true });
      });
    }
  }

  private async history(
    promptId: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<z.infer<typeof HistoryEntry> | null> {
    const history: unknown = await requestJson(
      this.url(`/history/${encodeURIComponent(promptId)}`),
      { method: 'GET' },
      this.http(deadline, signal),
    ).catch((e: unknown) => {
      throw this.classify(e);
    });
    const raw =
      typeof history === 'object' && history !== null && promptId in history
        ? (history as Record<string, unknown>)[promptId]
        : undefined;
    if (raw === undefined) return null;
    const parsed = HistoryEntry.safeParse(raw);
    if (!parsed.success)
      throw new ProviderError(
        'bad-response',
        `${NAME} sent a history entry of an unexpected shape.`,
      );
    return parsed.data;
  }

  private outputsOf(entry: z.infer<typeof HistoryEntry>): Ref[] {
    const status = entry.status;
    if (status?.status_str === 'error') {
      for (const m of status.messages ?? []) {
        if (!Array.isArray(m) || typeof m[1] !== 'object' || m[1] === null) continue;
        if (m[0] === 'execution_error') throw runFailure(m[1] as Record<string, unknown>);
        if (m[0] === 'execution_interrupted')
          throw new ProviderError(
            'interrupted',
            `The run was stopped on ${NAME} itself; nothing was charged.`,
          );
      }
      throw new ProviderError(
        'workflow',
        `${NAME} could not run the workflow; look at the ComfyUI console.`,
      );
    }
    const saved =
      entry.outputs?.[OUTPUT_NODE]?.images ??
      Object.values(entry.outputs ?? {}).flatMap((o) => o.images ?? []);
    return saved.filter((i) => (i.type ?? 'output') === 'output');
  }

  /** 'running', how many prompts wait before it, or 'gone'. */
  private async placeOf(
    promptId: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<'running' | number | 'gone'> {
    const parsed = QueueState.safeParse(
      await requestJson(this.url('/queue'), { method: 'GET' }, this.http(deadline, signal)).catch(
        (e: unknown) => {
          throw this.classify(e);
        },
      ),
    );
    if (!parsed.success)
      throw new ProviderError('bad-response', `${NAME} sent a queue of an unexpected shape.`);
    if (parsed.data.queue_running.some((item) => item[1] === promptId)) return 'running';
    const pending = parsed.data.queue_pending
      .map((item) => ({ number: Number(item[0]), id: item[1] }))
      .sort((a, b) => a.number - b.number);
    const at = pending.findIndex((p) => p.id === promptId);
    return at >= 0 ? at : 'gone';
  }

  /** Best effort: drop our waiting prompts, then interrupt ours if it is the one running. */
  private async stop(promptIds: string[], prompts: Map<string, PromptState>): Promise<void> {
    const quick = { provider: NAME, timeoutMs: 3000 };
    const post = (path: string, body: unknown) =>
      requestBytes(
        this.url(path),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
        quick,
      ).catch(() => null);
    await post('/queue', { delete: promptIds });
    const running = await requestJson(this.url('/queue'), { method: 'GET' }, quick).then(
      (q) => QueueState.safeParse(q),
      () => null,
    );
    for (const id of promptIds) {
      const isRunning = running?.success
        ? running.data.queue_running.some((item) => item[1] === id)
        : prompts.get(id)?.started === true;
      if (isRunning) await post('/interrupt', { prompt_id: id });
    }
  }
}
