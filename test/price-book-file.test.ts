import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceBook } from '../shared/pricing/book';
import { quote } from '../shared/pricing/quote';
import { commands } from '../server/admin/commands';
import {
  entries,
  funded,
  jobsTestServer,
  type JobsTestServer,
  opId,
  startJob,
  waitJob,
} from '../server/jobs/test-kit';
import { backends } from '../server/testing/harness';

/**
 * The shipped resolution × steps price list (docs/price-books/resolution-steps.json,
 * docs/architecture.md §6): six sizes by ≤50 / 51–100 / 101–150 steps, upscale 1–2, face
 * enhance 1, background removal 1; publishable with `admin publish-price-book`.
 */
const file = join(import.meta.dirname, '..', 'docs', 'price-books', 'resolution-steps.json');
const book = PriceBook.parse(JSON.parse(readFileSync(file, 'utf8')));

/** Credits per image, standard model: [≤50, 51–100, 101–150 steps]. */
const table: Record<string, [number, number, number]> = {
  '512x512': [1, 2, 4],
  '512x768': [1, 2, 5],
  '512x1024': [2, 3, 6],
  '768x768': [2, 3, 6],
  '768x1024': [2, 4, 8],
  '1024x1024': [2, 4, 10],
};
const generate = (size: string, steps: number, count = 1, model = 'standard') => {
  const [width, height] = size.split('x').map(Number) as [number, number];
  return { tool: 'generate', mode: 'text-to-image', width, height, steps, model, count } as const;
};

describe('the shipped resolution × steps price book', () => {
  it('prices all six sizes at every step rung, at the rung boundaries too', () => {
    const rule = book.tools.generate?.perImage;
    expect(rule?.type).toBe('matrix');
    if (rule?.type !== 'matrix') return;
    expect(rule.cells.map((c) => `${c.width}x${c.height}`).sort()).toEqual(
      Object.keys(table).sort(),
    );
    for (const [size, [low, mid, high]] of Object.entries(table)) {
      expect([1, 50, 51, 100, 101, 150].map((s) => quote(book, generate(size, s)).credits)).toEqual(
        [low, low, mid, mid, high, high],
      );
    }
    expect(() => quote(book, generate('512x512', 151))).toThrow();
    expect(() => quote(book, generate('640x640', 20))).toThrow();
  });

  it('never charges less for more pixels or more steps', () => {
    const sizes = Object.keys(table).sort((a, b) => {
      const px = (s: string) =>
        s
          .split('x')
          .map(Number)
          .reduce((x, y) => x * y, 1);
      return px(a) - px(b);
    });
    for (const steps of [25, 75, 125]) {
      const prices = sizes.map((s) => quote(book, generate(s, steps)).credits);
      expect(prices).toEqual([...prices].sort((a, b) => a - b));
    }
  });

  it('prices upscale ×2 at 1 and ×4 at 2, face enhance and background removal at 1', () => {
    const size = { width: 512, height: 512 };
    expect(quote(book, { tool: 'upscale', factor: 2, ...size }).credits).toBe(1);
    expect(quote(book, { tool: 'upscale', factor: 4, ...size }).credits).toBe(2);
    expect(quote(book, { tool: 'face-enhance', ...size }).credits).toBe(1);
    expect(quote(book, { tool: 'cutout', ...size }).credits).toBe(1);
  });
});

describe.each(backends)('publishing it with the admin command on %s', (backend) => {
  let s: JobsTestServer;
  beforeAll(async () => {
    s = await jobsTestServer(backend);
  });
  afterAll(async () => s.close());

  it('becomes the server’s book, and a run is held at its price', async () => {
    const run = (name: string, ...args: string[]) => commands[name]!.run(s.t.services, args);
    expect(await run('publish-price-book', '--file', file)).toMatch(/version 2/);
    expect((await s.t.services.catalog.priceBook()).book).toEqual(book);

    const u = await funded(s, 100);
    const params = {
      mode: 'text-to-image',
      prompt: 'a red lighthouse at sunset',
      model: 'easel-preview',
      width: 512,
      height: 768,
      steps: 120,
      seed: 7,
      count: 2,
    };
    const q = quote(book, { ...generate('512x768', 120, 2, 'easel-preview') });
    expect(q.credits).toBe(10);
    const job = await startJob(s, u.headers, {
      operationId: opId(),
      tool: 'generate',
      params,
      quote: { credits: q.credits, priceBookVersion: q.priceBookVersion },
    });
    expect(await waitJob(s, u.headers, job.jobId)).toMatchObject({
      state: 'succeeded',
      charged: 10,
    });
    const hold = (await entries(s, u.headers)).find((e) => e.type === 'hold');
    expect(hold?.amount).toBe(10);
  });
});
