import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, isAbortError } from './errors';
import { ImageInputError } from './image-input';
import { EnginePool, PoolError } from './pool';
import { ballPng, scenePng } from './test-images';

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

describe('EnginePool (worker threads)', () => {
  let image: Buffer;
  let small: Buffer;
  const pool = new EnginePool({ concurrency: 1, maxQueue: 1 });

  beforeAll(async () => {
    image = await scenePng(128);
    small = await sharp(image).resize(32, 32).png().toBuffer();
  });

  afterAll(async () => {
    await pool.close();
  });

  it('runs an ESRGAN upscale without blocking the event loop, with progress', async () => {
    let ticks = 0;
    let worstGap = 0;
    let last = performance.now();
    const interval = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 10);
    const progress: number[] = [];
    const started = performance.now();
    const result = await pool.run(
      'upscale',
      image,
      { factor: 4, tileSize: 64 },
      { onProgress: (f) => progress.push(f) },
    );
    const elapsed = performance.now() - started;
    clearInterval(interval);
    expect([result.width, result.height]).toEqual([512, 512]);
    expect((await sharp(result.image).metadata()).format).toBe('png');
    expect(elapsed).toBeGreaterThan(300); // it is real work…
    expect(ticks).toBeGreaterThan(elapsed / 10 / 4); // …and the main loop kept ticking through it
    // Run on the main thread, the upscale would stall the loop for its whole duration.
    expect(worstGap).toBeLessThan(Math.min(600, elapsed / 2));
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.at(-1)).toBe(1);
  });

  it('keeps the caller’s input intact unless asked to transfer it', async () => {
    const copy = Buffer.from(small);
    await pool.run('filter', copy, { preset: 'mono' });
    expect(copy.equals(small)).toBe(true);
    const owned = new Uint8Array(small);
    const result = await pool.run('filter', owned, { preset: 'mono' }, { transferInput: true });
    expect(owned.byteLength).toBe(0); // moved to the worker
    expect(result.width).toBe(32);
  });

  it('runs cutout, filter and generate tasks', async () => {
    const cut = await pool.run('cutout', await ballPng(160, 120), {});
    expect([cut.width, cut.height]).toEqual([160, 120]);
    expect(cut.mask).toBeInstanceOf(Uint8Array);
    const filtered = await pool.run('filter', small, { preset: 'pixelate', strength: 100 });
    expect(filtered.image).toBeInstanceOf(Uint8Array);
    const generated = await pool.run('generate', null, {
      provider: { kind: 'preview' },
      request: {
        prompt: 'red sunset',
        width: 64,
        height: 64,
        steps: 10,
        seed: 7,
        count: 2,
        model: '',
      },
    });
    expect(generated.images).toHaveLength(2);
  });

  it('carries engine errors across with their class and code', async () => {
    const notImage = await failure(
      pool.run('filter', new TextEncoder().encode('nope'), { preset: 'mono' }),
    );
    expect(notImage).toBeInstanceOf(ImageInputError);
    expect(notImage).toMatchObject({ code: 'not-an-image' });
    const badParams = await failure(pool.run('upscale', small, { factor: 4, maxOutputPixels: 10 }));
    expect(badParams).toBeInstanceOf(EngineError);
    expect(badParams).toMatchObject({ code: 'too-many-pixels' });
  });

  it('refuses work when the queue is full, and cancels queued and running tasks', async () => {
    const running = new AbortController();
    const first = pool.run(
      'upscale',
      image,
      { factor: 8, tileSize: 32 },
      { signal: running.signal },
    );
    const queued = new AbortController();
    const second = pool.run('upscale', small, { factor: 2 }, { signal: queued.signal });
    const third = await failure(pool.run('upscale', small, { factor: 2 }));
    expect(third).toBeInstanceOf(PoolError);
    expect(third).toMatchObject({ code: 'queue-full' });
    expect((third as Error).message).toMatch(/queue is full/);
    expect(pool.stats).toMatchObject({ running: 1, queued: 1 });

    queued.abort();
    expect(isAbortError(await failure(second))).toBe(true);
    expect(pool.stats.queued).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 300)); // let the x8 upscale get going
    const before = performance.now();
    running.abort();
    const error = await failure(first);
    expect(isAbortError(error)).toBe(true);
    expect(performance.now() - before).toBeLessThan(250); // the caller is told at once
    expect(pool.stats).toMatchObject({ running: 1, stopping: 1 }); // the worker winds down

    // The next task runs on the same worker (its models stay loaded) once it has stopped.
    const after = await pool.run('upscale', small, { factor: 2 });
    expect(after.width).toBe(64);
    expect(pool.stats).toMatchObject({ workers: 1, running: 0, stopping: 0 });
  });

  it('cancelling a cutout mid-inference is safe and the pool carries on', async () => {
    const photo = await ballPng(512, 512);
    const outcomes: string[] = [];
    for (const delay of [30, 200, 400]) {
      const controller = new AbortController();
      const task = pool.run('cutout', photo, {}, { signal: controller.signal });
      setTimeout(() => controller.abort(), delay);
      outcomes.push(
        await task.then(
          () => 'done',
          (e: unknown) => (isAbortError(e) ? 'aborted' : String(e)),
        ),
      );
    }
    expect(outcomes[0]).toBe('aborted');
    for (const outcome of outcomes) expect(['aborted', 'done']).toContain(outcome);
    expect((await pool.run('cutout', photo, {})).width).toBe(512);
  });

  it('terminates a worker that does not stop within the grace period', async () => {
    const strict = new EnginePool({ cancelGraceMs: 0 });
    try {
      const controller = new AbortController();
      const task = failure(
        strict.run('upscale', image, { factor: 8, tileSize: 32 }, { signal: controller.signal }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      expect(isAbortError(await task)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(strict.stats.workers).toBe(0);
      expect((await strict.run('filter', small, { preset: 'mono' })).width).toBe(32);
    } finally {
      await strict.close();
    }
  });

  it('fails a task that overruns its time-out and recycles the worker', async () => {
    const error = await failure(
      pool.run('upscale', image, { factor: 8, tileSize: 32 }, { timeoutMs: 200 }),
    );
    expect(error).toBeInstanceOf(PoolError);
    expect(error).toMatchObject({ code: 'timeout' });
    expect((await pool.run('filter', small, { preset: 'blur' })).width).toBe(32);
  });

  it('close() lets running work finish, refuses queued and new work, and stops the workers', async () => {
    const local = new EnginePool({ concurrency: 1, maxQueue: 4 });
    const runningTask = local.run('filter', small, { preset: 'sepia' });
    const queuedTask = local.run('filter', small, { preset: 'mono' });
    const closing = local.close();
    expect(await failure(queuedTask)).toMatchObject({ code: 'closed' });
    expect((await runningTask).width).toBe(32);
    await closing;
    expect(local.stats).toEqual({ workers: 0, running: 0, stopping: 0, queued: 0, closed: true });
    expect(await failure(local.run('filter', small, { preset: 'mono' }))).toMatchObject({
      code: 'closed',
    });

    const forced = new EnginePool();
    const busy = failure(forced.run('upscale', image, { factor: 8, tileSize: 32 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await forced.close({ force: true });
    expect(await busy).toMatchObject({ code: 'closed' });
    expect(forced.stats.workers).toBe(0);
  });

  it('runs tasks in parallel up to its concurrency', async () => {
    const wide = new EnginePool({ concurrency: 2, maxQueue: 0 });
    try {
      const a = wide.run('filter', image, { preset: 'sketch' });
      const b = wide.run('filter', image, { preset: 'cinematic' });
      expect(wide.stats.running).toBe(2);
      expect(await failure(wide.run('filter', image, { preset: 'mono' }))).toMatchObject({
        code: 'queue-full',
      });
      await Promise.all([a, b]);
      expect(wide.stats.workers).toBe(2);
    } finally {
      await wide.close();
    }
  });
});
