import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProgressDetail, isAbortError } from '../errors';
import { gradientPng } from '../test-images';
import { comfyWorkflow } from './comfy-workflows';
import { ComfyUIProvider } from './comfyui';
import { automatic1111StandIn } from './stand-ins/automatic1111';
import { type ComfyStandIn, comfyStandIn } from './stand-ins/comfyui';
import type { GenerationRequest } from './types';

const closers: Array<{ close(): Promise<void> }> = [];
async function serve(options?: Parameters<typeof comfyStandIn>[0]): Promise<ComfyStandIn> {
  const s = await comfyStandIn(options);
  closers.push(s);
  return s;
}
afterEach(async () => {
  for (const s of closers.splice(0)) await s.close();
});

const request: GenerationRequest = {
  prompt: 'a lighthouse at dusk',
  negativePrompt: 'blurry',
  width: 64,
  height: 48,
  steps: 8,
  seed: 1234,
  count: 1,
  model: 'v1-5-pruned-emaonly.safetensors',
};

const comfy = (
  s: ComfyStandIn,
  extra: Partial<ConstructorParameters<typeof ComfyUIProvider>[0]> = {},
) => new ComfyUIProvider({ baseUrl: s.baseUrl, pollIntervalMs: 50, ...extra });

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error & { code?: string },
  );
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const post = (s: ComfyStandIn, path: string, body: unknown) =>
  fetch(`${s.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as Record<string, unknown>,
  }));

describe('the ComfyUI stand-in validates like execution.py', () => {
  it('an unknown checkpoint is a 400 with node_errors; an unknown node is invalid_prompt', async () => {
    const s = await serve();
    const graph = comfyWorkflow({
      family: 'sd15',
      checkpoint: 'nope.safetensors',
      prompt: 'x',
      negativePrompt: '',
      width: 64,
      height: 64,
      steps: 2,
      seed: 1,
    });
    const refused = await post(s, '/prompt', { prompt: graph });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: { type: 'prompt_outputs_failed_validation' },
      node_errors: {
        '4': {
          class_type: 'CheckpointLoaderSimple',
          errors: [
            {
              type: 'value_not_in_list',
              extra_info: { input_name: 'ckpt_name', received_value: 'nope.safetensors' },
            },
          ],
        },
      },
    });
    const unknown = await post(s, '/prompt', {
      prompt: { '1': { class_type: 'Teleport', inputs: {} } },
    });
    expect(unknown).toMatchObject({
      status: 400,
      body: {
        error: {
          type: 'invalid_prompt',
          message: 'Cannot execute because node Teleport does not exist.',
        },
      },
    });
  });
});

describe('ComfyUI adapter against the stand-in', () => {
  it('runs the SD 1.5 template with its own prompt ids; WebSocket progress, ETA and latent previews', async () => {
    const s = await serve({ stepMs: 20 });
    const details: Array<[number, ProgressDetail | undefined]> = [];
    const result = await comfy(s).generate({ ...request, count: 2 }, (f, d) =>
      details.push([f, d]),
    );
    expect(result.images).toHaveLength(2);
    for (const image of result.images)
      expect(await sharp(image).metadata()).toMatchObject({ format: 'png', width: 64, height: 48 });
    const graphs = [...s.graphs.values()];
    expect(graphs.map((g) => g['3']?.inputs?.seed)).toEqual([1234, 1235]);
    expect(graphs[0]?.['3']?.inputs).toMatchObject({
      steps: 8,
      sampler_name: 'euler',
      scheduler: 'normal',
      cfg: 7,
    });
    expect(graphs[0]?.['5']?.inputs).toEqual({ width: 64, height: 48, batch_size: 1 });
    expect(graphs[0]?.['7']?.inputs?.text).toBe('blurry');
    // The prompt ids are the adapter's own (uuids), taken by the server.
    expect(s.ran).toHaveLength(2);
    for (const id of s.ran) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const stages = details.map(([, d]) => d?.stage).filter(Boolean);
    expect(stages).toContain('Sampling step 4 of 8');
    expect(stages).toContain('Image 2 of 2 done');
    expect(details.some(([, d]) => d?.preview?.format === 'jpeg')).toBe(true);
    expect(details.some(([, d]) => typeof d?.etaSeconds === 'number')).toBe(true);
    const fractions = details.map(([f]) => f);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(fractions.at(-1)).toBe(1);
    await until(() => s.sockets === 0);
  });

  it('SDXL and Flux checkpoints get their own templates, which the server accepts', async () => {
    const s = await serve();
    await comfy(s).generate(
      { ...request, model: 'sd_xl_base_1.0.safetensors', width: 100, height: 60 },
      () => {},
    );
    await comfy(s).generate(
      { ...request, model: 'flux1-schnell-fp8.safetensors', width: 100, height: 60, steps: 4 },
      () => {},
    );
    const [sdxl, flux] = [...s.graphs.values()];
    expect(sdxl?.['3']?.inputs).toMatchObject({ sampler_name: 'dpmpp_2m', scheduler: 'karras' });
    expect(sdxl?.['5']?.inputs).toMatchObject({ width: 104, height: 64 });
    expect(flux?.['10']).toEqual({
      class_type: 'FluxGuidance',
      inputs: { conditioning: ['6', 0], guidance: 3.5 },
    });
    expect(flux?.['5']).toEqual({
      class_type: 'EmptySD3LatentImage',
      inputs: { width: 96, height: 64, batch_size: 1 },
    });
    expect(flux?.['3']?.inputs).toMatchObject({ cfg: 1, scheduler: 'simple', positive: ['10', 0] });
    expect(s.ran).toHaveLength(2);
  });

  it('image to image: two uploads at the same moment never overwrite each other', async () => {
    const s = await serve();
    const [a, b] = await Promise.all([
      gradientPng(80, 60),
      sharp(await gradientPng(80, 60))
        .negate()
        .png()
        .toBuffer(),
    ]);
    await Promise.all([
      comfy(s).generate({ ...request, initImage: a, strength: 0.4 }, () => {}),
      comfy(s).generate({ ...request, initImage: b, strength: 0.4 }, () => {}),
    ]);
    expect(new Set(s.inputs).size).toBe(2);
    const loads = [...s.graphs.values()].map((g) => g['11']?.inputs?.image);
    expect(new Set(loads)).toEqual(new Set(s.inputs));
    expect([...s.graphs.values()][0]?.['3']?.inputs).toMatchObject({
      denoise: 0.4,
      latent_image: ['12', 0],
    });
  });

  it('a refused workflow keeps ComfyUI’s reason: a missing checkpoint, a node the server lacks', async () => {
    const s = await serve({ fluxNodes: false });
    const missing = await failure(
      comfy(s).generate({ ...request, model: 'dreamshaper_8.safetensors' }, () => {}),
    );
    expect(missing).toMatchObject({ code: 'model-missing' });
    expect(missing.message).toBe(
      'ComfyUI has no checkpoint "dreamshaper_8.safetensors"; choose one it has in Settings → Image engine.',
    );
    const node = await failure(
      comfy(s).generate({ ...request, model: 'flux1-schnell-fp8.safetensors' }, () => {}),
    );
    expect(node).toMatchObject({ code: 'workflow' });
    expect(node.message).toMatch(
      /^ComfyUI cannot run this workflow: Cannot execute because node (FluxGuidance|EmptySD3LatentImage) does not exist \(Node ID '#\d+'\)\. Update ComfyUI/,
    );
  });

  it('out of GPU memory is said as such', async () => {
    const s = await serve();
    s.failNextWithOutOfMemory();
    const oom = await failure(comfy(s).generate(request, () => {}));
    expect(oom).toMatchObject({ code: 'out-of-memory' });
    expect(oom.message).toMatch(
      /ran out of GPU memory in KSampler; try a smaller size or fewer steps/,
    );
  });

  it('cancel deletes its waiting prompts and interrupts its running one by id; another client’s prompt runs on', async () => {
    const s = await serve({ stepMs: 20 });
    const controller = new AbortController();
    let sampling = false;
    const ours = comfy(s).generate(
      { ...request, steps: 400, count: 2 },
      (_f, d) => {
        if (d?.stage?.startsWith('Sampling')) sampling = true;
      },
      controller.signal,
    );
    await until(() => sampling);
    const foreign = await s.queueForeign(
      comfyWorkflow({
        family: 'sd15',
        checkpoint: request.model,
        prompt: 'x',
        negativePrompt: '',
        width: 32,
        height: 32,
        steps: 3,
        seed: 9,
      }),
    );
    controller.abort();
    expect(isAbortError(await failure(ours))).toBe(true);
    const [running, waiting] = [...s.graphs.keys()];
    expect(s.deleted).toEqual([running, waiting]);
    expect(s.interrupts).toEqual([{ asked: running, stopped: running }]);
    await until(() => s.ran.includes(foreign) && s.interrupted.length === 1);
    expect(s.ran).not.toContain(waiting);
    expect(s.interrupted).toEqual([running]);
  });

  it('a cancel while queued behind another client’s prompt never interrupts that prompt', async () => {
    const s = await serve({ stepMs: 10 });
    const foreign = await s.queueForeign(
      comfyWorkflow({
        family: 'sd15',
        checkpoint: request.model,
        prompt: 'x',
        negativePrompt: '',
        width: 32,
        height: 32,
        steps: 40,
        seed: 9,
      }),
    );
    const controller = new AbortController();
    let queuedStage = '';
    const ours = comfy(s).generate(
      request,
      (_f, d) => {
        if (d?.stage?.includes('queue')) queuedStage = d.stage;
      },
      controller.signal,
    );
    await until(() => queuedStage !== '');
    expect(queuedStage).toBe('Next in ComfyUI’s queue');
    controller.abort();
    expect(isAbortError(await failure(ours))).toBe(true);
    expect(s.interrupts).toEqual([]);
    await until(() => s.ran.includes(foreign));
    await new Promise((r) => setTimeout(r, 600));
    expect(s.interrupted).toEqual([]);
    expect(s.ran).toEqual([foreign]);
  });

  it('a time-out stops the prompt on the server', async () => {
    const s = await serve({ stepMs: 20 });
    const error = await failure(
      comfy(s, { timeoutMs: 400 }).generate({ ...request, steps: 400 }, () => {}),
    );
    expect(error).toMatchObject({ code: 'timeout' });
    await until(() => s.interrupted.length === 1);
  });

  it('a prompt that vanished (queue cleared, server restarted) fails in seconds, not after the time-out', async () => {
    const s = await serve({ stepMs: 30 });
    let sampling = false;
    const run = comfy(s, { timeoutMs: 60_000 }).generate({ ...request, steps: 400 }, (_f, d) => {
      if (d?.stage?.startsWith('Sampling')) sampling = true;
    });
    await until(() => sampling);
    const started = Date.now();
    s.forget(s.ran[0] ?? '');
    const error = await failure(run);
    expect(error).toMatchObject({ code: 'interrupted' });
    expect(error.message).toMatch(/no longer has this prompt.*Nothing was charged/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('works without the WebSocket, polling the history', async () => {
    const s = await serve();
    const result = await comfy(s, { websocket: false }).generate(
      { ...request, count: 2 },
      () => {},
    );
    expect(result.images).toHaveLength(2);
    expect(s.sockets).toBe(0);
  });

  it('probe: version, device, checkpoints with their families, samplers; another server is not ComfyUI', async () => {
    const s = await serve();
    expect(await comfy(s).probe()).toMatchObject({
      server: 'ComfyUI',
      version: '0.3.64',
      device: { kind: 'gpu', name: 'NVIDIA GeForce RTX 3070', memoryGb: 8 },
      models: [
        { name: 'v1-5-pruned-emaonly.safetensors', family: 'sd15' },
        { name: 'sd_xl_base_1.0.safetensors', family: 'sdxl' },
        { name: 'flux1-schnell-fp8.safetensors', family: 'flux' },
      ],
      samplers: expect.arrayContaining(['euler', 'dpmpp_2m']),
    });
    const noFlux = await serve({ fluxNodes: false, device: { type: 'cpu', name: 'cpu', vram: 0 } });
    const probe = await comfy(noFlux).probe();
    expect(probe.models.map((m) => m.family)).toEqual(['sd15', 'sdxl']);
    expect(probe.device).toMatchObject({ kind: 'cpu' });
    const a1111 = await automatic1111StandIn();
    closers.push(a1111);
    const wrong = await failure(new ComfyUIProvider({ baseUrl: a1111.baseUrl }).probe());
    expect(wrong).toMatchObject({ code: 'bad-response' });
    expect(wrong.message).toMatch(/There is no ComfyUI at this address/);
  });
});
