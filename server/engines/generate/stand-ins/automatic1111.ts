/**
 * A local stand-in for an Automatic1111 (stable-diffusion-webui) server started with --api, for
 * tests. It follows the webui's own code where the adapter's correctness depends on it:
 *
 * - modules/api/api.py (commit 2fec9471, the 1.10 line): txt2img, img2img and extra-single-image
 *   run one at a time under the server's single `queue_lock`, in arrival order; a request whose
 *   client went away still runs when its turn comes; `force_task_id` names the task;
 *   `/sdapi/v1/interrupt` stops whatever runs now (`shared.state.interrupt()`), which then
 *   answers 200 with the images made so far; `/sdapi/v1/progress` is global and names
 *   `current_task`; errors have the `{error, detail, body, errors}` shape of its exception
 *   handler; an unknown sampler is "400: Sampler not found"; POST /sdapi/v1/options refuses an
 *   unknown checkpoint ("model 'x' not found").
 * - modules/processing.py process_images: an `override_settings.sd_model_checkpoint` that is not
 *   one of the checkpoint aliases is silently dropped and the loaded model is used.
 * - modules/sd_models.py CheckpointInfo: the aliases (title, name, model_name, name without
 *   extension, hashes).
 * - modules/progress.py (commit 66aaa2be): POST /internal/progress reports one task (queued,
 *   active, completed, progress, eta, a data: URI live preview).
 * - modules/api/models.py: the response shapes (SDModelItem, SamplerItem, MemoryResponse, …).
 */
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { type Recorded, type StandIn, json, standIn } from '../../../jobs/stand-ins';

export interface A1111StandInOptions {
  /** Checkpoint files under models/Stable-diffusion (default: SD 1.5 and SDXL base). */
  checkpoints?: string[];
  /** --api-auth user:password */
  auth?: { username: string; password: string };
  /** Milliseconds per sampling step (default 15). */
  stepMs?: number;
  /** Whether there is a CUDA device (default true). */
  gpu?: boolean;
  /** opts.live_previews_enable (default true). */
  livePreviews?: boolean;
  /** --nowebui: the API alone, without the UI's /internal routes. */
  nowebui?: boolean;
}

interface Checkpoint {
  title: string;
  name: string;
  model_name: string;
  hash: string;
  sha256: string;
  filename: string;
  aliases: string[];
}

interface Task {
  id: string;
  kind: 'txt2img' | 'img2img' | 'extras';
  body: Record<string, unknown>;
}

export interface A1111StandIn extends StandIn {
  /** The checkpoint loaded now (its title). */
  readonly loaded: string;
  /** Which checkpoint each finished task ran on, by task id. */
  readonly ranOn: Map<string, string>;
  /** Tasks that finished (by task id), interrupted or not. */
  readonly finished: string[];
  /** Tasks that were interrupted while running. */
  readonly interrupted: string[];
  /** The next generation fails with CUDA out of memory. */
  failNextWithOutOfMemory(): void;
  /** Tasks waiting for the queue lock and the one holding it. */
  readonly pending: string[];
  readonly current: string | null;
}

const SAMPLERS = ['DPM++ 2M', 'DPM++ SDE', 'Euler a', 'Euler', 'LMS', 'Heun', 'DDIM', 'UniPC'];

function checkpointOf(name: string, index: number): Checkpoint {
  const sha256 = (index + 1).toString(16).padStart(2, '0').repeat(32);
  const shorthash = sha256.slice(0, 10);
  const title = `${name} [${shorthash}]`;
  const base = name.split('/').at(-1) ?? name;
  const nameForExtra = base.replace(/\.[^.]+$/, '');
  const modelName = name.replace(/[\\/]/g, '_').replace(/\.[^.]+$/, '');
  const hash = sha256.slice(0, 8);
  return {
    title,
    name,
    model_name: modelName,
    hash: shorthash,
    sha256,
    filename: `/srv/webui/models/Stable-diffusion/${name}`,
    aliases: [
      hash,
      modelName,
      title,
      name,
      nameForExtra,
      `${name} [${hash}]`,
      shorthash,
      sha256,
      `${nameForExtra} [${shorthash}]`,
    ],
  };
}

/** The exception handler of modules/api/api.py: {error, detail, body, errors}. */
function apiError(
  res: ServerResponse,
  status: number,
  error: string,
  errors: string,
  detail = '',
): void {
  json(res, status, { error, detail, body: '', errors });
}

function bodyOf(req: Recorded): Record<string, unknown> | null {
  try {
    const v = JSON.parse(req.body.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function automatic1111StandIn(
  options: A1111StandInOptions = {},
): Promise<A1111StandIn> {
  const checkpoints = (
    options.checkpoints ?? ['v1-5-pruned-emaonly.safetensors', 'sd_xl_base_1.0.safetensors']
  ).map(checkpointOf);
  const byAlias = new Map<string, Checkpoint>();
  for (const c of checkpoints) for (const a of c.aliases) byAlias.set(a, c);
  const stepMs = options.stepMs ?? 15;
  let loaded = checkpoints[0]?.title ?? '';
  const ranOn = new Map<string, string>();
  const finished: string[] = [];
  const interruptedTasks: string[] = [];
  let outOfMemory = false;
  let taskCounter = 0;

  // shared.state and modules/progress.py's task bookkeeping.
  const state = {
    job: '',
    job_count: 0,
    job_no: 0,
    sampling_step: 0,
    sampling_steps: 0,
    interrupted: false,
    skipped: false,
    time_start: 0,
    textinfo: null as string | null,
    id_live_preview: 0,
    current_image: null as Buffer | null,
  };
  const pendingTasks = new Map<string, number>();
  let currentTask: string | null = null;

  // The queue lock: FIFO, one holder.
  let lock: Promise<void> = Promise.resolve();
  const withLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    const previous = lock;
    let release: () => void = () => {};
    lock = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  };

  const colourOf = (title: string): string => (title.includes('xl') ? '#884422' : '#228844');

  async function run(task: Task): Promise<{ images: Buffer[]; used: string }> {
    const b = task.body;
    const override = (b.override_settings ?? {}) as Record<string, unknown>;
    const restore = b.override_settings_restore_afterwards !== false;
    const before = loaded;
    // process_images: an override that is not an alias is dropped, the loaded model is used.
    const wanted =
      typeof override.sd_model_checkpoint === 'string'
        ? byAlias.get(override.sd_model_checkpoint)
        : undefined;
    if (wanted) loaded = wanted.title;
    const used = loaded;
    const batch = Math.max(1, Number(b.batch_size ?? 1)) * Math.max(1, Number(b.n_iter ?? 1));
    const steps = Math.max(1, Number(b.steps ?? 20));
    const width = Number(b.width ?? 512);
    const height = Number(b.height ?? 512);
    Object.assign(state, {
      job: `scripts_${task.kind}`,
      job_count: batch,
      job_no: 0,
      sampling_step: 0,
      sampling_steps: steps,
      interrupted: false,
      time_start: Date.now() / 1000,
      textinfo: null,
      current_image: null,
    });
    const images: Buffer[] = [];
    try {
      if (outOfMemory) {
        outOfMemory = false;
        throw Object.assign(
          new Error(
            'CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity; 5.12 GiB already allocated; 1.02 GiB free; 5.60 GiB reserved in total by PyTorch)',
          ),
          { oom: true },
        );
      }
      for (let i = 0; i < batch && !state.interrupted; i++) {
        state.job_no = i;
        for (let s = 0; s < steps && !state.interrupted; s++) {
          await new Promise((r) => setTimeout(r, stepMs));
          state.sampling_step = s + 1;
          if (options.livePreviews ?? true) {
            state.current_image = await sharp({
              create: { width: 32, height: 32, channels: 3, background: colourOf(used) },
            })
              .jpeg()
              .toBuffer();
            state.id_live_preview++;
          }
        }
        // An interrupted run still decodes the image it was on.
        images.push(
          await sharp({ create: { width, height, channels: 3, background: colourOf(used) } })
            .png()
            .toBuffer(),
        );
      }
      if (state.interrupted) interruptedTasks.push(task.id);
      return { images, used };
    } finally {
      if (restore) loaded = before;
      state.job_count = 0;
      state.sampling_steps = 0;
      state.sampling_step = 0;
      state.current_image = null;
    }
  }

  async function generate(
    req: Recorded,
    res: ServerResponse,
    kind: 'txt2img' | 'img2img',
  ): Promise<void> {
    const body = bodyOf(req);
    if (!body)
      return json(res, 422, {
        detail: [{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }],
      });
    for (const key of ['steps', 'width', 'height', 'batch_size', 'n_iter'] as const)
      if (body[key] !== undefined && !Number.isInteger(body[key]))
        return json(res, 422, {
          detail: [
            { loc: ['body', key], msg: 'value is not a valid integer', type: 'type_error.integer' },
          ],
        });
    const sampler = (body.sampler_name ?? body.sampler_index ?? 'Euler') as string;
    if (!SAMPLERS.includes(sampler))
      return apiError(res, 400, 'HTTPException', '400: Sampler not found', 'Sampler not found');
    if (kind === 'img2img' && !Array.isArray(body.init_images))
      return apiError(
        res,
        404,
        'HTTPException',
        '404: Init image not found',
        'Init image not found',
      );
    const id =
      typeof body.force_task_id === 'string'
        ? body.force_task_id
        : `task(${(++taskCounter).toString(36)})`;
    pendingTasks.set(id, Date.now());
    let result: { images: Buffer[]; used: string };
    try {
      result = await withLock(async () => {
        pendingTasks.delete(id);
        currentTask = id;
        try {
          return await run({ id, kind, body });
        } finally {
          if (currentTask === id) currentTask = null;
          finished.push(id);
        }
      });
    } catch (error) {
      pendingTasks.delete(id);
      const oom = error instanceof Error && 'oom' in error;
      return apiError(
        res,
        500,
        oom ? 'OutOfMemoryError' : 'RuntimeError',
        error instanceof Error ? error.message : String(error),
      );
    }
    ranOn.set(id, result.used);
    const seed = Number(body.seed ?? -1);
    const used = checkpoints.find((c) => c.title === result.used);
    json(res, 200, {
      images: body.send_images === false ? [] : result.images.map((b) => b.toString('base64')),
      parameters: { ...body, init_images: null },
      info: JSON.stringify({
        prompt: body.prompt ?? '',
        all_prompts: result.images.map(() => body.prompt ?? ''),
        negative_prompt: body.negative_prompt ?? '',
        seed,
        all_seeds: result.images.map((_, i) => seed + i),
        width: body.width ?? 512,
        height: body.height ?? 512,
        sampler_name: sampler,
        cfg_scale: body.cfg_scale ?? 7,
        steps: body.steps ?? 20,
        sd_model_name: used?.model_name ?? '',
        sd_model_hash: used?.hash ?? '',
        job_timestamp: '20261102100000',
      }),
    });
  }

  function progressApi(url: URL, res: ServerResponse): void {
    // modules/api/api.py progressapi
    if (state.job_count === 0)
      return json(res, 200, {
        progress: 0,
        eta_relative: 0,
        state: { ...state, current_image: undefined },
        current_image: null,
        textinfo: state.textinfo,
        current_task: currentTask,
      });
    let progress = 0.01 + state.job_no / state.job_count;
    if (state.sampling_steps > 0)
      progress += (1 / state.job_count) * (state.sampling_step / state.sampling_steps);
    const elapsed = Date.now() / 1000 - state.time_start;
    const eta = elapsed / progress;
    const skip = url.searchParams.get('skip_current_image') === 'true';
    json(res, 200, {
      progress: Math.min(progress, 1),
      eta_relative: eta - elapsed,
      state: { ...state, current_image: undefined },
      current_image: !skip && state.current_image ? state.current_image.toString('base64') : null,
      textinfo: state.textinfo,
      current_task: currentTask,
    });
  }

  function internalProgress(req: Recorded, res: ServerResponse): void {
    // modules/progress.py progressapi
    const body = bodyOf(req) ?? {};
    const idTask = String(body.id_task ?? '');
    const active = idTask === currentTask;
    const queued = pendingTasks.has(idTask);
    const completed = finished.includes(idTask);
    if (!active) {
      let textinfo = 'Waiting...';
      if (queued) {
        const order = [...pendingTasks.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k);
        textinfo = `In queue: ${order.indexOf(idTask) + 1}/${order.length}`;
      }
      return json(res, 200, {
        active,
        queued,
        completed,
        progress: null,
        eta: null,
        live_preview: null,
        id_live_preview: -1,
        textinfo,
      });
    }
    let progress = 0;
    if (state.job_count > 0) progress += state.job_no / state.job_count;
    if (state.sampling_steps > 0 && state.job_count > 0)
      progress += (1 / state.job_count) * (state.sampling_step / state.sampling_steps);
    progress = Math.min(progress, 1);
    const elapsed = Date.now() / 1000 - state.time_start;
    const eta = progress > 0 ? elapsed / progress - elapsed : null;
    const since = Number(body.id_live_preview ?? -1);
    const wantsPreview = body.live_preview !== false && (options.livePreviews ?? true);
    const fresh = wantsPreview && state.current_image && state.id_live_preview !== since;
    json(res, 200, {
      active,
      queued,
      completed,
      progress,
      eta,
      live_preview:
        fresh && state.current_image
          ? `data:image/jpeg;base64,${state.current_image.toString('base64')}`
          : null,
      id_live_preview: fresh ? state.id_live_preview : since,
      textinfo: state.textinfo,
    });
  }

  const self = (await standIn(async (req, res) => {
    const url = new URL(req.url, 'http://stand-in');
    if (options.auth) {
      const expected = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
      if (url.pathname.startsWith('/sdapi/') && req.headers.authorization !== expected) {
        res.setHeader('www-authenticate', 'Basic');
        return apiError(
          res,
          401,
          'HTTPException',
          '401: Incorrect username or password',
          'Incorrect username or password',
        );
      }
    }
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'POST /sdapi/v1/txt2img':
        return generate(req, res, 'txt2img');
      case 'POST /sdapi/v1/img2img':
        return generate(req, res, 'img2img');
      case 'POST /sdapi/v1/extra-single-image': {
        const body = bodyOf(req) ?? {};
        if (typeof body.image !== 'string' || body.image === '')
          return apiError(
            res,
            500,
            'HTTPException',
            '500: Invalid encoded image',
            'Invalid encoded image',
          );
        const image = await withLock(async () => {
          const bytes = Buffer.from(String(body.image).replace(/^data:[^,]*,/, ''), 'base64');
          const restored =
            Number(body.gfpgan_visibility ?? 0) > 0 || Number(body.codeformer_visibility ?? 0) > 0;
          return sharp(bytes)
            .modulate({ brightness: restored ? 1.1 : 1 })
            .png()
            .toBuffer();
        });
        return json(res, 200, {
          html_info: '<p>GFPGAN visibility: 1</p>',
          image: image.toString('base64'),
        });
      }
      case 'GET /sdapi/v1/progress':
        return progressApi(url, res);
      case 'POST /internal/progress':
        if (options.nowebui) return json(res, 404, { detail: 'Not Found' });
        return internalProgress(req, res);
      case 'POST /sdapi/v1/interrupt':
        if (state.job_count > 0) state.interrupted = true;
        return json(res, 200, {});
      case 'GET /sdapi/v1/sd-models':
        return json(
          res,
          200,
          checkpoints.map((c) => ({
            title: c.title,
            model_name: c.model_name,
            hash: c.hash,
            sha256: c.sha256,
            filename: c.filename,
            config: null,
          })),
        );
      case 'GET /sdapi/v1/samplers':
        return json(
          res,
          200,
          SAMPLERS.map((name) => ({
            name,
            aliases: [name.toLowerCase().replace(/\W+/g, '_')],
            options: {},
          })),
        );
      case 'GET /sdapi/v1/face-restorers':
        return json(res, 200, [
          { name: 'CodeFormer', cmd_dir: null },
          { name: 'GFPGAN', cmd_dir: null },
        ]);
      case 'GET /sdapi/v1/memory':
        return json(res, 200, {
          ram: { free: 8e9, used: 4e9, total: 12e9 },
          cuda:
            options.gpu === false
              ? { error: 'unavailable' }
              : {
                  system: { free: 4e9, used: 4.4e9, total: 8.4e9 },
                  active: { current: 1, peak: 1 },
                  allocated: { current: 1, peak: 1 },
                  reserved: { current: 1, peak: 1 },
                  inactive: { current: 0, peak: 0 },
                  events: { retries: 0, oom: 0 },
                },
        });
      case 'GET /sdapi/v1/options':
        return json(res, 200, {
          sd_model_checkpoint: loaded,
          live_previews_enable: options.livePreviews ?? true,
          samples_format: 'png',
        });
      case 'POST /sdapi/v1/options': {
        const body = bodyOf(req) ?? {};
        const name = body.sd_model_checkpoint;
        if (typeof name === 'string') {
          const c = byAlias.get(name);
          if (!c) return apiError(res, 500, 'RuntimeError', `model '${name}' not found`);
          loaded = c.title;
        }
        return json(res, 200, null);
      }
      default:
        return json(res, 404, { detail: 'Not Found' });
    }
  })) as A1111StandIn;
  Object.defineProperties(self, {
    loaded: { get: () => loaded },
    ranOn: { get: () => ranOn },
    finished: { get: () => finished },
    interrupted: { get: () => interruptedTasks },
    pending: { get: () => [...pendingTasks.keys()] },
    current: { get: () => currentTask },
  });
  self.failNextWithOutOfMemory = () => {
    outOfMemory = true;
  };
  return self;
}
