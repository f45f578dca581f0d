import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { isAbortError } from '../errors';
import { gradientPng } from '../test-images';
import { Automatic1111Provider } from './automatic1111';
import { type A1111StandIn, automatic1111StandIn } from './stand-ins/automatic1111';
import type { ProgressDetail } from '../errors';
import type { GenerationRequest } from './types';

const stands: A1111StandIn[] = [];
async function serve(options?: Parameters<typeof automatic1111StandIn>[0]): Promise<A1111StandIn> {
  const s = await automatic1111StandIn(options);
  stands.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stands.splice(0)) await s.close();
});

const request: GenerationRequest = {
  prompt: 'a lighthouse at dusk',
  negativePrompt: 'blurry',
  width: 64,
  height: 48,
  steps: 10,
  seed: 1234,
  count: 1,
  model: 'v1-5-pruned-emaonly',
};

const sd = (
  s: A1111StandIn,
  extra: Partial<ConstructorParameters<typeof Automatic1111Provider>[0]> = {},
) => new Automatic1111Provider({ baseUrl: s.baseUrl, progressIntervalMs: 20, ...extra });

const posts = (s: A1111StandIn, path = '/sdapi/v1/txt2img') =>
  s.requests
    .filter((r) => r.url === path)
    .map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);

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

describe('the Automatic1111 stand-in behaves like the webui', () => {
  it('silently runs an unknown override_settings checkpoint on the loaded model', async () => {
    const s = await serve();
    const res = await fetch(`${s.baseUrl}/sdapi/v1/txt2img`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: 'x',
        steps: 1,
        width: 16,
        height: 16,
        force_task_id: 't1',
        override_settings: { sd_model_checkpoint: 'no-such-model' },
      }),
    });
    expect(res.status).toBe(200);
    expect(s.ranOn.get('t1')).toBe(s.loaded);
  });
});

describe('Automatic1111 adapter against the stand-in', () => {
  it('txt2img with the checkpoint asked for, this task’s progress, steps, ETA and live previews', async () => {
    const s = await serve({ stepMs: 25 });
    const details: Array<[number, ProgressDetail | undefined]> = [];
    const result = await sd(s).generate({ ...request, count: 3 }, (f, d) => details.push([f, d]));
    expect(result.images).toHaveLength(3);
    for (const image of result.images)
      expect(await sharp(image).metadata()).toMatchObject({ format: 'png', width: 64, height: 48 });
    const bodies = posts(s);
    expect(bodies).toHaveLength(1); // maxBatch 4
    expect(bodies[0]).toMatchObject({
      prompt: 'a lighthouse at dusk',
      negative_prompt: 'blurry',
      seed: 1234,
      batch_size: 3,
      override_settings: { sd_model_checkpoint: 'v1-5-pruned-emaonly.safetensors [0101010101]' },
      force_task_id: expect.stringMatching(/^easel-/),
    });
    const taskId = String(bodies[0]?.force_task_id);
    expect(s.ranOn.get(taskId)).toBe('v1-5-pruned-emaonly.safetensors [0101010101]');
    expect(s.requests.some((r) => r.url === '/internal/progress' && r.body.includes(taskId))).toBe(
      true,
    );
    expect(details.some(([, d]) => /^Sampling step \d+ of 10$/.test(d?.stage ?? ''))).toBe(true);
    expect(
      details.some(([, d]) => d?.preview?.format === 'jpeg' && d.preview.bytes.length > 100),
    ).toBe(true);
    expect(details.some(([, d]) => typeof d?.etaSeconds === 'number')).toBe(true);
    const fractions = details.map(([f]) => f);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(fractions.at(-1)).toBe(1);
  });

  it('an unknown checkpoint fails before anything runs, naming what the server has', async () => {
    const s = await serve();
    const error = await failure(sd(s).generate({ ...request, model: 'sdxl-turbo' }, () => {}));
    expect(error).toMatchObject({ code: 'model-missing' });
    expect(error.message).toMatch(
      /has no checkpoint "sdxl-turbo" \(it has v1-5-pruned-emaonly, sd_xl_base_1\.0\); choose one/,
    );
    expect(posts(s)).toHaveLength(0);
  });

  it('cancel interrupts its run on the server, so the next job does not wait behind it', async () => {
    const s = await serve({ stepMs: 20 });
    const controller = new AbortController();
    let sampling = false;
    const first = sd(s).generate(
      { ...request, steps: 500 },
      (_f, d) => {
        if (d?.stage?.startsWith('Sampling')) sampling = true;
      },
      controller.signal,
    );
    await until(() => sampling);
    controller.abort();
    expect(isAbortError(await failure(first))).toBe(true);
    await until(() => s.interrupted.length === 1);
    // Behind a run of 500 × 20 ms the next job would time out; it finishes at once instead.
    const started = Date.now();
    const next = await sd(s, { timeoutMs: 3000 }).generate({ ...request, steps: 5 }, () => {});
    expect(next.images).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(s.interrupted).toEqual([String(posts(s)[0]?.force_task_id)]);
  });

  it('a cancelled task still waiting for the lock is interrupted when it starts, never the one running before it', async () => {
    const s = await serve({ stepMs: 10 });
    const foreign = fetch(`${s.baseUrl}/sdapi/v1/txt2img`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: 'someone else',
        steps: 60,
        width: 16,
        height: 16,
        force_task_id: 'someone-else',
      }),
    });
    await until(() => s.current === 'someone-else');
    const controller = new AbortController();
    const ours = sd(s).generate({ ...request, steps: 300 }, () => {}, controller.signal);
    await until(() => s.pending.length === 1);
    controller.abort();
    expect(isAbortError(await failure(ours))).toBe(true);
    expect((await foreign).status).toBe(200);
    const ourTask = String(posts(s).find((b) => b.force_task_id !== 'someone-else')?.force_task_id);
    await until(() => s.finished.includes(ourTask));
    expect(s.interrupted).toEqual([ourTask]);
  });

  it('a time-out stops the run on the server too', async () => {
    const s = await serve({ stepMs: 20 });
    const error = await failure(
      sd(s, { timeoutMs: 300 }).generate({ ...request, steps: 500 }, () => {}),
    );
    expect(error).toMatchObject({ code: 'timeout' });
    expect(error.message).toMatch(/did not finish within 0 s; the run was stopped on the server/);
    await until(() => s.interrupted.length === 1);
  });

  it('keeps the reason of an error: out of memory, a wrong password, an unknown sampler', async () => {
    const s = await serve({ auth: { username: 'ada', password: 'pw' } });
    s.failNextWithOutOfMemory();
    const oom = await failure(
      sd(s, { auth: { username: 'ada', password: 'pw' } }).generate(request, () => {}),
    );
    expect(oom).toMatchObject({ code: 'out-of-memory' });
    expect(oom.message).toMatch(
      /ran out of GPU memory \(OutOfMemoryError: CUDA out of memory\. Tried to allocate 2\.00 GiB/,
    );
    const auth = await failure(
      sd(s, { auth: { username: 'ada', password: 'wrong' } }).generate(request, () => {}),
    );
    expect(auth).toMatchObject({ code: 'auth' });
    expect(auth.message).toMatch(/refused the user name or password/);
    const sampler = await failure(
      sd(s, { auth: { username: 'ada', password: 'pw' }, sampler: 'Warp 9' }).generate(
        request,
        () => {},
      ),
    );
    expect(sampler).toMatchObject({ code: 'refused' });
    expect(sampler.message).toMatch(/Sampler not found/);
  });

  it('with --nowebui, progress comes from /sdapi/v1/progress while current_task is this task', async () => {
    const s = await serve({ stepMs: 25, nowebui: true });
    const stages: string[] = [];
    await sd(s).generate({ ...request, steps: 12 }, (_f, d) => d?.stage && stages.push(d.stage));
    expect(s.requests.some((r) => r.url.startsWith('/sdapi/v1/progress'))).toBe(true);
    expect(stages.some((t) => /^Sampling step \d+ of 12$/.test(t))).toBe(true);
  });

  it('img2img sends the init image and strength; face restoration goes through extras', async () => {
    const s = await serve();
    const init = await gradientPng(64, 48);
    await sd(s).generate({ ...request, initImage: init, strength: 0.35 }, () => {});
    const body = posts(s, '/sdapi/v1/img2img')[0];
    expect(body?.denoising_strength).toBe(0.35);
    expect(Buffer.from((body?.init_images as string[])[0] ?? '', 'base64').equals(init)).toBe(true);
    const restored = await sd(s).restoreFaces(init, () => {});
    expect(await sharp(restored).metadata()).toMatchObject({ width: 64, height: 48 });
    expect(posts(s, '/sdapi/v1/extra-single-image')[0]).toMatchObject({
      gfpgan_visibility: 1,
      upscaling_resize: 1,
    });
  });

  it('probe: checkpoints with their families, samplers, the GPU and face restoration', async () => {
    const s = await serve();
    expect(await sd(s).probe()).toMatchObject({
      server: 'Automatic1111',
      device: { kind: 'gpu', memoryGb: 8 },
      models: [
        { name: 'v1-5-pruned-emaonly.safetensors [0101010101]', family: 'sd15' },
        { name: 'sd_xl_base_1.0.safetensors [0202020202]', family: 'sdxl' },
      ],
      faceEnhance: true,
    });
    const cpu = await serve({ gpu: false });
    expect((await sd(cpu).probe()).device).toEqual({ kind: 'cpu', name: null, memoryGb: null });
  });
});
