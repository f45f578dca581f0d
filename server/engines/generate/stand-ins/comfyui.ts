/**
 * A local stand-in for a ComfyUI server, for tests, speaking its HTTP and WebSocket protocol as
 * ComfyUI 0.3.64 (commit a125cd84) does:
 *
 * - server.py: POST /prompt validates first and answers 400 `{error, node_errors}` for a bad
 *   workflow, else `{prompt_id, number, node_errors}`, taking a client-made `prompt_id`;
 *   GET /queue, POST /queue `{delete}` (waiting prompts only), POST /interrupt `{prompt_id}`
 *   (interrupts only when that prompt is the one running; no id: whatever runs), GET
 *   /history/{id}, POST /upload/image (a taken name gets " (1)" unless overwrite), GET /view,
 *   GET /system_stats, GET /object_info[/{class}], GET /ws?clientId=… with a `status` message
 *   on connect; a prompt's messages go only to the socket of its client_id.
 * - execution.py: validate_prompt and validate_inputs (invalid_prompt for an unknown class,
 *   required_input_missing, value_not_in_list with `extra_info.input_name`/`received_value`,
 *   value_smaller_than_min / value_bigger_than_max, prompt_no_outputs,
 *   prompt_outputs_failed_validation); PromptQueue (a heap by number, one prompt at a time,
 *   history entries `{prompt, outputs, status: {status_str, completed, messages}, meta}`);
 *   PromptExecutor messages: execution_start, execution_cached, executing, executed,
 *   execution_success, execution_error (OOM with its tips text), execution_interrupted.
 * - main.py prompt_worker and hijack_progress: `progress {value, max, prompt_id, node}` per
 *   sampler step and a binary PREVIEW_IMAGE frame (protocol.py: type 1, then 1 = JPEG) when
 *   previews are on (--preview-method), then `executing {node: null}` after the history is
 *   written.
 * - nodes.py: the core nodes' inputs (CheckpointLoaderSimple, CLIPTextEncode, EmptyLatentImage,
 *   KSampler, VAEDecode, VAEEncode, LoadImage, SaveImage), comfy_extras FluxGuidance and
 *   EmptySD3LatentImage.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import sharp from 'sharp';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Recorded, type StandIn, json, standIn } from '../../../jobs/stand-ins';

export interface ComfyStandInOptions {
  checkpoints?: string[];
  /** Milliseconds per sampler step (default 20). */
  stepMs?: number;
  /** --preview-method: send latent previews (default true). */
  previews?: boolean;
  /** Whether comfy_extras' Flux nodes are there (default true). */
  fluxNodes?: boolean;
  /** The device /system_stats reports (default an 8 GB CUDA GPU). */
  device?: { type: string; name: string; vram: number };
}

type Kind = 'INT' | 'FLOAT' | 'STRING' | { combo: () => string[] } | { link: string };

interface NodeSpec {
  inputs: Record<string, { kind: Kind; min?: number; max?: number }>;
  outputs: string[];
  output?: boolean;
  /** LoadImage's VALIDATE_INPUTS: the file must exist. */
  validate?: (inputs: Record<string, unknown>) => string | null;
}

type Graph = Record<string, { class_type?: unknown; inputs?: Record<string, unknown> }>;

interface QueueItem {
  number: number;
  promptId: string;
  prompt: Graph;
  extra: { client_id?: string };
  outputs: string[];
}

interface ComfyError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface ComfyStandIn extends StandIn {
  /** Prompts in the order they started running. */
  readonly ran: string[];
  /** Prompts interrupted while running. */
  readonly interrupted: string[];
  /** Every POST /interrupt: the prompt id asked for (null: none) and what it stopped. */
  readonly interrupts: Array<{ asked: string | null; stopped: string | null }>;
  /** Prompt ids POST /queue was asked to delete. */
  readonly deleted: string[];
  /** Names of uploaded input files. */
  readonly inputs: string[];
  /** The graph each prompt was queued with. */
  readonly graphs: Map<string, Graph>;
  /** The next prompt to reach the sampler fails with CUDA out of memory. */
  failNextWithOutOfMemory(): void;
  /** Forgets a prompt (queue and history), as a restarted server would. */
  forget(promptId: string): void;
  /** Queues a prompt for another client (for "never stop someone else's prompt" tests). */
  queueForeign(graph: Graph, clientId?: string): Promise<string>;
  /** Open WebSocket connections. */
  readonly sockets: number;
}

const SAMPLERS = [
  'euler',
  'euler_ancestral',
  'heun',
  'dpm_2',
  'lms',
  'dpmpp_2m',
  'dpmpp_sde',
  'ddim',
  'uni_pc',
];
const SCHEDULERS = [
  'simple',
  'sgm_uniform',
  'karras',
  'exponential',
  'ddim_uniform',
  'beta',
  'normal',
];
const OOM_MESSAGE =
  'Allocation on device \nThis error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.';

export async function comfyStandIn(options: ComfyStandInOptions = {}): Promise<ComfyStandIn> {
  const checkpoints = options.checkpoints ?? [
    'v1-5-pruned-emaonly.safetensors',
    'sd_xl_base_1.0.safetensors',
    'flux1-schnell-fp8.safetensors',
  ];
  const stepMs = options.stepMs ?? 20;
  const inputFiles = new Map<string, Buffer>();
  const outputFiles = new Map<string, Buffer>();
  const link = (type: string): { kind: Kind } => ({ kind: { link: type } });
  const specs: Record<string, NodeSpec> = {
    CheckpointLoaderSimple: {
      inputs: { ckpt_name: { kind: { combo: () => checkpoints } } },
      outputs: ['MODEL', 'CLIP', 'VAE'],
    },
    CLIPTextEncode: {
      inputs: { text: { kind: 'STRING' }, clip: link('CLIP') },
      outputs: ['CONDITIONING'],
    },
    EmptyLatentImage: {
      inputs: {
        width: { kind: 'INT', min: 16, max: 16384 },
        height: { kind: 'INT', min: 16, max: 16384 },
        batch_size: { kind: 'INT', min: 1, max: 4096 },
      },
      outputs: ['LATENT'],
    },
    KSampler: {
      inputs: {
        model: link('MODEL'),
        // ComfyUI's max is 0xffffffffffffffff, beyond a double's precision: the largest exact one.
        seed: { kind: 'INT', min: 0, max: Number.MAX_SAFE_INTEGER },
        steps: { kind: 'INT', min: 1, max: 10000 },
        cfg: { kind: 'FLOAT', min: 0, max: 100 },
        sampler_name: { kind: { combo: () => SAMPLERS } },
        scheduler: { kind: { combo: () => SCHEDULERS } },
        positive: link('CONDITIONING'),
        negative: link('CONDITIONING'),
        latent_image: link('LATENT'),
        denoise: { kind: 'FLOAT', min: 0, max: 1 },
      },
      outputs: ['LATENT'],
    },
    VAEDecode: { inputs: { samples: link('LATENT'), vae: link('VAE') }, outputs: ['IMAGE'] },
    VAEEncode: { inputs: { pixels: link('IMAGE'), vae: link('VAE') }, outputs: ['LATENT'] },
    LoadImage: {
      inputs: { image: { kind: { combo: () => [...inputFiles.keys()].sort() } } },
      outputs: ['IMAGE', 'MASK'],
      validate: (inputs) =>
        inputFiles.has(String(inputs.image)) ? null : `Invalid image file: ${String(inputs.image)}`,
    },
    SaveImage: {
      inputs: { images: link('IMAGE'), filename_prefix: { kind: 'STRING' } },
      outputs: [],
      output: true,
    },
  };
  if (options.fluxNodes ?? true) {
    specs.FluxGuidance = {
      inputs: { conditioning: link('CONDITIONING'), guidance: { kind: 'FLOAT', min: 0, max: 100 } },
      outputs: ['CONDITIONING'],
    };
    specs.EmptySD3LatentImage = {
      inputs: {
        width: { kind: 'INT', min: 16, max: 16384 },
        height: { kind: 'INT', min: 16, max: 16384 },
        batch_size: { kind: 'INT', min: 1, max: 4096 },
      },
      outputs: ['LATENT'],
    };
  }

  // ---- validation (execution.py validate_prompt / validate_inputs) ----
  function validateNode(
    prompt: Graph,
    id: string,
    validated: Map<string, [boolean, ComfyError[]]>,
  ): [boolean, ComfyError[]] {
    const known = validated.get(id);
    if (known) return known;
    const node = prompt[id];
    const spec = specs[String(node?.class_type)];
    const inputs = node?.inputs ?? {};
    const errors: ComfyError[] = [];
    let valid = true;
    for (const [name, input] of Object.entries(spec?.inputs ?? {})) {
      if (!(name in inputs)) {
        if (name === 'denoise') continue; // optional in practice (has a default)
        errors.push({
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: name,
          extra_info: { input_name: name },
        });
        continue;
      }
      const val = inputs[name];
      if (Array.isArray(val)) {
        const from = prompt[String(val[0])];
        const fromSpec = specs[String(from?.class_type)];
        const type = fromSpec?.outputs[Number(val[1])];
        if (typeof input.kind === 'object' && 'link' in input.kind && type !== input.kind.link) {
          errors.push({
            type: 'return_type_mismatch',
            message: 'Return type mismatch between linked nodes',
            details: `${name}, received_type(${String(type)}) mismatch input_type(${input.kind.link})`,
            extra_info: { input_name: name, linked_node: val },
          });
          continue;
        }
        if (!validateNode(prompt, String(val[0]), validated)[0]) valid = false;
        continue;
      }
      if (input.kind === 'INT' || input.kind === 'FLOAT') {
        const n = Number(val);
        if (!Number.isFinite(n) || (input.kind === 'INT' && !Number.isInteger(n))) {
          errors.push({
            type: 'invalid_input_type',
            message: `Failed to convert an input value to a ${input.kind} value`,
            details: `${name}, ${String(val)}`,
            extra_info: { input_name: name, received_value: val },
          });
          continue;
        }
        if (input.min !== undefined && n < input.min) {
          errors.push({
            type: 'value_smaller_than_min',
            message: `Value ${n} smaller than min of ${input.min}`,
            details: name,
            extra_info: { input_name: name, received_value: n },
          });
          continue;
        }
        if (input.max !== undefined && n > input.max) {
          errors.push({
            type: 'value_bigger_than_max',
            message: `Value ${n} bigger than max of ${input.max}`,
            details: name,
            extra_info: { input_name: name, received_value: n },
          });
          continue;
        }
      }
      if (typeof input.kind === 'object' && 'combo' in input.kind && !spec?.validate) {
        const options = input.kind.combo();
        if (!options.includes(String(val))) {
          const list =
            options.length > 20
              ? `(list of length ${options.length})`
              : `[${options.map((o) => `'${o}'`).join(', ')}]`;
          errors.push({
            type: 'value_not_in_list',
            message: 'Value not in list',
            details: `${name}: '${String(val)}' not in ${list}`,
            extra_info: { input_name: name, input_config: null, received_value: val },
          });
        }
      }
    }
    const custom = spec?.validate?.(inputs);
    if (custom)
      errors.push({
        type: 'custom_validation_failed',
        message: 'Custom validation failed for node',
        details: `image - ${custom}`,
        extra_info: { input_name: 'image' },
      });
    const result: [boolean, ComfyError[]] = [valid && errors.length === 0, errors];
    validated.set(id, result);
    return result;
  }

  function validatePrompt(
    prompt: Graph,
  ):
    | { ok: true; outputs: string[] }
    | { ok: false; error: ComfyError; nodeErrors: Record<string, unknown> } {
    const outputs: string[] = [];
    for (const [id, node] of Object.entries(prompt)) {
      if (typeof node?.class_type !== 'string')
        return {
          ok: false,
          error: {
            type: 'invalid_prompt',
            message: 'Cannot execute because a node is missing the class_type property.',
            details: `Node ID '#${id}'`,
            extra_info: {},
          },
          nodeErrors: {},
        };
      const spec = specs[node.class_type];
      if (!spec)
        return {
          ok: false,
          error: {
            type: 'invalid_prompt',
            message: `Cannot execute because node ${node.class_type} does not exist.`,
            details: `Node ID '#${id}'`,
            extra_info: {},
          },
          nodeErrors: {},
        };
      if (spec.output) outputs.push(id);
    }
    if (outputs.length === 0)
      return {
        ok: false,
        error: {
          type: 'prompt_no_outputs',
          message: 'Prompt has no outputs',
          details: '',
          extra_info: {},
        },
        nodeErrors: {},
      };
    const validated = new Map<string, [boolean, ComfyError[]]>();
    const good: string[] = [];
    const nodeErrors: Record<
      string,
      { errors: ComfyError[]; dependent_outputs: string[]; class_type: string }
    > = {};
    const lines: string[] = [];
    for (const o of outputs) {
      const [valid] = validateNode(prompt, o, validated);
      if (valid) {
        good.push(o);
        continue;
      }
      for (const [id, [ok, reasons]] of validated) {
        if (ok || reasons.length === 0) continue;
        nodeErrors[id] ??= {
          errors: reasons,
          dependent_outputs: [],
          class_type: String(prompt[id]?.class_type),
        };
        nodeErrors[id].dependent_outputs.push(o);
        for (const r of reasons) lines.push(`${r.message}: ${r.details}`);
      }
    }
    if (good.length === 0)
      return {
        ok: false,
        error: {
          type: 'prompt_outputs_failed_validation',
          message: 'Prompt outputs failed validation',
          details: lines.join('\n'),
          extra_info: {},
        },
        nodeErrors,
      };
    return { ok: true, outputs: good };
  }

  // ---- the queue, the worker and the sockets ----
  const sockets = new Map<string, WebSocket>();
  const queue: QueueItem[] = [];
  const history = new Map<string, unknown>();
  const graphs = new Map<string, Graph>();
  let running: QueueItem | null = null;
  let interruptFlag = false;
  let number = 0;
  let oomNext = false;
  let clientId: string | null = null;
  const ran: string[] = [];
  const interruptedPrompts: string[] = [];
  const interrupts: Array<{ asked: string | null; stopped: string | null }> = [];
  const deleted: string[] = [];
  const forgotten = new Set<string>();
  let closed = false;

  const sendJson = (type: string, data: unknown, sid: string | null): void => {
    const text = JSON.stringify({ type, data });
    if (sid === null) for (const ws of sockets.values()) ws.send(text);
    else sockets.get(sid)?.send(text);
  };
  const sendBytes = (bytes: Buffer, sid: string | null): void => {
    if (sid === null) for (const ws of sockets.values()) ws.send(bytes);
    else sockets.get(sid)?.send(bytes);
  };
  const queueInfo = () => ({ exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } });
  const queueUpdated = () => sendJson('status', { status: queueInfo() }, null);

  let wakeWorker: () => void = () => {};
  async function worker(): Promise<void> {
    while (!closed) {
      if (queue.length === 0) {
        await new Promise<void>((r) => (wakeWorker = r));
        continue;
      }
      queue.sort((a, b) => a.number - b.number);
      const item = queue.shift();
      if (!item) continue;
      running = item;
      queueUpdated();
      await execute(item);
      running = null;
    }
  }

  async function execute(item: QueueItem): Promise<void> {
    interruptFlag = false; // nodes.interrupt_processing(False)
    clientId = item.extra.client_id ?? null;
    ran.push(item.promptId);
    const messages: Array<[string, unknown]> = [];
    const add = (event: string, data: Record<string, unknown>, broadcast: boolean) => {
      const stamped = { ...data, timestamp: Date.now() };
      messages.push([event, stamped]);
      if (clientId !== null || broadcast) sendJson(event, stamped, clientId);
    };
    add('execution_start', { prompt_id: item.promptId }, false);
    add('execution_cached', { nodes: [], prompt_id: item.promptId }, false);
    const executed: string[] = [];
    const outputs: Record<string, unknown> = {};
    let success = true;
    let latent: { width: number; height: number } = { width: 512, height: 512 };
    for (const id of order(item.prompt)) {
      const node = item.prompt[id];
      const classType = String(node?.class_type);
      const inputs = node?.inputs ?? {};
      sendJson('executing', { node: id, display_node: id, prompt_id: item.promptId }, clientId);
      if (classType === 'EmptyLatentImage' || classType === 'EmptySD3LatentImage')
        latent = { width: Number(inputs.width), height: Number(inputs.height) };
      if (classType === 'LoadImage') {
        const meta = await sharp(inputFiles.get(String(inputs.image))).metadata();
        latent = { width: meta.width, height: meta.height };
      }
      if (classType === 'KSampler') {
        if (oomNext) {
          oomNext = false;
          add(
            'execution_error',
            {
              prompt_id: item.promptId,
              node_id: id,
              node_type: classType,
              executed: [...executed],
              exception_message: OOM_MESSAGE,
              exception_type: 'torch.OutOfMemoryError',
              traceback: ['  File "execution.py", line 496, in execute\n'],
              current_inputs: {},
              current_outputs: [],
            },
            false,
          );
          success = false;
          break;
        }
        const steps = Number(inputs.steps);
        for (let step = 0; step < steps; step++) {
          await new Promise((r) => setTimeout(r, stepMs));
          if (interruptFlag) break;
          if (forgotten.has(item.promptId)) return; // the server "restarted": nothing more is said
          sendJson(
            'progress',
            { value: step + 1, max: steps, prompt_id: item.promptId, node: id },
            clientId,
          );
          if (options.previews ?? true) {
            const preview = await sharp({
              create: {
                width: 64,
                height: 64,
                channels: 3,
                background: { r: 40, g: 80 + step, b: 120 },
              },
            })
              .jpeg()
              .toBuffer();
            const header = Buffer.alloc(8);
            header.writeUInt32BE(1, 0); // BinaryEventTypes.PREVIEW_IMAGE
            header.writeUInt32BE(1, 4); // JPEG
            sendBytes(Buffer.concat([header, preview]), clientId);
          }
        }
        if (interruptFlag) {
          interruptedPrompts.push(item.promptId);
          add(
            'execution_interrupted',
            {
              prompt_id: item.promptId,
              node_id: id,
              node_type: classType,
              executed: [...executed],
            },
            true,
          );
          success = false;
          break;
        }
      }
      if (classType === 'SaveImage') {
        const filename = `${String(inputs.filename_prefix ?? 'ComfyUI')}_${String(outputFiles.size + 1).padStart(5, '0')}_.png`;
        outputFiles.set(
          filename,
          await sharp({
            create: {
              width: latent.width,
              height: latent.height,
              channels: 3,
              background: '#335577',
            },
          })
            .png()
            .toBuffer(),
        );
        const output = { images: [{ filename, subfolder: '', type: 'output' }] };
        outputs[id] = output;
        sendJson(
          'executed',
          { node: id, display_node: id, output, prompt_id: item.promptId },
          clientId,
        );
      }
      executed.push(id);
    }
    if (success) add('execution_success', { prompt_id: item.promptId }, false);
    if (!forgotten.has(item.promptId)) {
      history.set(item.promptId, {
        prompt: [item.number, item.promptId, item.prompt, item.extra, item.outputs],
        outputs: success ? outputs : {},
        status: { status_str: success ? 'success' : 'error', completed: success, messages },
        meta: Object.fromEntries(
          Object.keys(outputs).map((k) => [
            k,
            { node_id: k, display_node: k, parent_node: null, real_node_id: k },
          ]),
        ),
      });
    }
    queueUpdated();
    if (clientId !== null)
      sendJson('executing', { node: null, prompt_id: item.promptId }, clientId);
  }

  /** Nodes in an order where every input's node runs first. */
  function order(prompt: Graph): string[] {
    const done: string[] = [];
    const visit = (id: string) => {
      if (done.includes(id)) return;
      for (const v of Object.values(prompt[id]?.inputs ?? {}))
        if (Array.isArray(v)) visit(String(v[0]));
      done.push(id);
    };
    for (const id of Object.keys(prompt)) visit(id);
    return done;
  }

  function enqueue(
    prompt: Graph,
    extra: { client_id?: string },
    promptId: string,
    outputs: string[],
  ): number {
    const n = number++;
    queue.push({ number: n, promptId, prompt, extra, outputs });
    graphs.set(promptId, prompt);
    queueUpdated();
    wakeWorker();
    return n;
  }

  const queueView = (i: QueueItem) => [i.number, i.promptId, i.prompt, i.extra, i.outputs];

  async function bodyJson(req: Recorded): Promise<Record<string, unknown>> {
    try {
      return JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  }

  const empty = (res: ServerResponse, status = 200) => {
    res.writeHead(status);
    res.end();
  };

  const objectInfo = (name: string) => {
    const spec = specs[name];
    if (!spec) return undefined;
    const required: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec.inputs)) {
      if (typeof v.kind === 'object' && 'combo' in v.kind) required[k] = [v.kind.combo(), {}];
      else if (typeof v.kind === 'object') required[k] = [v.kind.link, {}];
      else
        required[k] = [
          v.kind,
          {
            ...(v.min !== undefined ? { min: v.min } : {}),
            ...(v.max !== undefined ? { max: v.max } : {}),
          },
        ];
    }
    return {
      input: { required },
      input_order: { required: Object.keys(required) },
      output: spec.outputs,
      output_is_list: spec.outputs.map(() => false),
      output_name: spec.outputs,
      name,
      display_name: name,
      description: '',
      python_module: 'nodes',
      category: 'sd',
      output_node: spec.output === true,
    };
  };

  const self = (await standIn(async (req, res) => {
    const url = new URL(req.url, 'http://stand-in');
    const route = `${req.method} ${url.pathname.replace(/^\/api\//, '/')}`;
    if (route === 'POST /prompt') {
      const body = await bodyJson(req);
      if (!('prompt' in body))
        return json(res, 400, {
          error: {
            type: 'no_prompt',
            message: 'No prompt provided',
            details: 'No prompt provided',
            extra_info: {},
          },
          node_errors: {},
        });
      const prompt = body.prompt as Graph;
      const promptId = typeof body.prompt_id === 'string' ? body.prompt_id : randomUUID();
      const valid = validatePrompt(prompt);
      if (!valid.ok) return json(res, 400, { error: valid.error, node_errors: valid.nodeErrors });
      const extra = {
        ...((body.extra_data as Record<string, unknown> | undefined) ?? {}),
        ...(typeof body.client_id === 'string' ? { client_id: body.client_id } : {}),
      };
      const n = enqueue(prompt, extra, promptId, valid.outputs);
      return json(res, 200, { prompt_id: promptId, number: n, node_errors: {} });
    }
    if (route === 'GET /queue')
      return json(res, 200, {
        queue_running: running && !forgotten.has(running.promptId) ? [queueView(running)] : [],
        queue_pending: queue.map(queueView),
      });
    if (route === 'GET /prompt') return json(res, 200, queueInfo());
    if (route === 'POST /queue') {
      const body = await bodyJson(req);
      if (body.clear === true) queue.length = 0;
      for (const id of Array.isArray(body.delete) ? body.delete : []) {
        deleted.push(String(id));
        const at = queue.findIndex((q) => q.promptId === id);
        if (at >= 0) queue.splice(at, 1);
      }
      queueUpdated();
      return empty(res);
    }
    if (route === 'POST /interrupt') {
      const body = await bodyJson(req);
      const asked = typeof body.prompt_id === 'string' ? body.prompt_id : null;
      const current = running?.promptId ?? null;
      const stop = asked === null ? current !== null : current === asked;
      if (stop) interruptFlag = true;
      interrupts.push({ asked, stopped: stop ? current : null });
      return empty(res);
    }
    if (req.method === 'GET' && url.pathname.startsWith('/history/')) {
      const id = decodeURIComponent(url.pathname.slice('/history/'.length));
      return json(res, 200, history.has(id) ? { [id]: history.get(id) } : {});
    }
    if (route === 'GET /history') return json(res, 200, Object.fromEntries(history));
    if (route === 'POST /upload/image') {
      const form = await new Response(new Uint8Array(req.body), {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
      const image = form.get('image');
      if (!(image instanceof File) || !image.name) return empty(res, 400);
      const overwrite = form.get('overwrite');
      const subfolder = String(form.get('subfolder') ?? '');
      const bytes = Buffer.from(await image.arrayBuffer());
      let name = image.name;
      const key = (n: string) => (subfolder ? `${subfolder}/${n}` : n);
      if (!(overwrite === 'true' || overwrite === '1')) {
        const dot = name.lastIndexOf('.');
        const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
        for (let i = 1; inputFiles.has(key(name)) && !inputFiles.get(key(name))?.equals(bytes); i++)
          name = `${stem} (${i})${ext}`;
      }
      inputFiles.set(key(name), bytes);
      return json(res, 200, { name, subfolder, type: String(form.get('type') ?? 'input') });
    }
    if (route === 'GET /view') {
      const name = url.searchParams.get('filename') ?? '';
      const type = url.searchParams.get('type') ?? 'output';
      const sub = url.searchParams.get('subfolder') ?? '';
      const file =
        type === 'input' ? inputFiles.get(sub ? `${sub}/${name}` : name) : outputFiles.get(name);
      if (!file || name.includes('..') || name.startsWith('/')) return empty(res, 404);
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-disposition': `filename="${name}"`,
      });
      return res.end(file);
    }
    if (route === 'GET /system_stats') {
      const d = options.device ?? {
        type: 'cuda',
        name: 'cuda:0 NVIDIA GeForce RTX 3070 : cudaMallocAsync',
        vram: 8 * 1024 ** 3,
      };
      return json(res, 200, {
        system: {
          os: 'posix',
          ram_total: 32e9,
          ram_free: 20e9,
          comfyui_version: '0.3.64',
          required_frontend_version: '1.27.10',
          python_version: '3.12.3',
          pytorch_version: '2.8.0+cu128',
          embedded_python: false,
          argv: ['main.py'],
        },
        devices: [
          {
            name: d.name,
            type: d.type,
            index: 0,
            vram_total: d.vram,
            vram_free: d.vram / 2,
            torch_vram_total: d.vram,
            torch_vram_free: d.vram / 2,
          },
        ],
      });
    }
    if (route === 'GET /object_info')
      return json(res, 200, Object.fromEntries(Object.keys(specs).map((k) => [k, objectInfo(k)])));
    if (req.method === 'GET' && url.pathname.startsWith('/object_info/')) {
      const name = decodeURIComponent(url.pathname.slice('/object_info/'.length));
      const info = objectInfo(name);
      return json(res, 200, info ? { [name]: info } : {});
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404: Not Found');
  })) as ComfyStandIn;

  const wss = new WebSocketServer({ noServer: true });
  self.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname !== '/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get('clientId') || randomUUID().replace(/-/g, '');
      sockets.set(sid, ws);
      ws.send(JSON.stringify({ type: 'status', data: { status: queueInfo(), sid } }));
      ws.on('close', () => {
        if (sockets.get(sid) === ws) sockets.delete(sid);
      });
    });
  });
  void worker();
  const closeHttp = self.close.bind(self);
  Object.defineProperties(self, {
    ran: { get: () => ran },
    interrupted: { get: () => interruptedPrompts },
    interrupts: { get: () => interrupts },
    deleted: { get: () => deleted },
    inputs: { get: () => [...inputFiles.keys()] },
    graphs: { get: () => graphs },
    sockets: { get: () => sockets.size },
  });
  self.failNextWithOutOfMemory = () => {
    oomNext = true;
  };
  self.forget = (promptId) => {
    forgotten.add(promptId);
    history.delete(promptId);
    const at = queue.findIndex((q) => q.promptId === promptId);
    if (at >= 0) queue.splice(at, 1);
  };
  self.queueForeign = async (graph, foreignClient = 'someone-else') => {
    const valid = validatePrompt(graph);
    if (!valid.ok) throw new Error(valid.error.message);
    const id = randomUUID();
    enqueue(graph, { client_id: foreignClient }, id, valid.outputs);
    return id;
  };
  self.close = async () => {
    closed = true;
    interruptFlag = true;
    wakeWorker();
    for (const ws of sockets.values()) ws.terminate();
    wss.close();
    await closeHttp();
  };
  return self;
}
