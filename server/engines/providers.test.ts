import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError, isAbortError } from './errors';
import {
  EaselPreviewProvider,
  type GenerationRequest,
  OpenAIImagesProvider,
  ProviderError,
  createProvider,
  previewLabel,
} from './generate/index';
import {
  type Handler,
  type Recorded,
  type StandIn,
  json,
  pngBase64,
  standIn,
} from '../jobs/stand-ins';
import { gradientPng, meanAbsDiff, rgbPixels } from './test-images';

// The same loopback stand-in the jobs tests use: records every request, answers like the API.
const stands: StandIn[] = [];
async function serve(handler: Handler): Promise<StandIn> {
  const stand = await standIn(handler);
  stands.push(stand);
  return stand;
}

afterEach(async () => {
  for (const stand of stands.splice(0)) await stand.close();
});

async function size(png: Uint8Array): Promise<[string | undefined, number, number]> {
  const meta = await sharp(png).metadata();
  return [meta.format, meta.width, meta.height];
}

function bodyJson(r: Recorded): Record<string, unknown> {
  return JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
}

const request: GenerationRequest = {
  prompt: 'a lighthouse at dusk',
  width: 64,
  height: 48,
  steps: 20,
  seed: 1234,
  count: 3,
  model: 'test-model',
};

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

// The adapters against protocol-faithful stand-ins of the real servers: generate/openai.test.ts,
// generate/automatic1111.test.ts, generate/comfyui.test.ts. These are the generic cases of an
// OpenAI-compatible server (a model name that is not OpenAI's own: the size as asked).
describe('OpenAI-compatible images adapter', () => {
  it('text-to-image: posts to /v1/images/generations and returns count PNGs of the requested size', async () => {
    const { baseUrl, requests } = await serve(async (req, res) => {
      const body = bodyJson(req);
      const n = Number(body.n);
      const [w, h] = String(body.size).split('x').map(Number);
      const data = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          pngBase64(w ?? 1, h ?? 1, i % 2 ? '#204080' : '#804020').then((b64_json) => ({
            b64_json,
            revised_prompt: body.prompt,
          })),
        ),
      );
      json(res, 200, { created: 1_700_000_000, data });
    });
    const provider = new OpenAIImagesProvider({
      baseUrl: `${baseUrl}/`,
      apiKey: 'sk-test',
      maxImagesPerRequest: 2,
    });
    const progress: number[] = [];
    const result = await provider.generate(request, (f) => progress.push(f));
    expect(result.images).toHaveLength(3);
    for (const image of result.images) expect(await size(image)).toEqual(['png', 64, 48]);
    expect(requests.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/v1/images/generations'],
      ['POST', '/v1/images/generations'],
    ]);
    expect(requests[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(bodyJson(requests[0] as Recorded)).toEqual({
      model: 'test-model',
      prompt: 'a lighthouse at dusk',
      n: 2,
      size: '64x48',
      response_format: 'b64_json',
    });
    expect(bodyJson(requests[1] as Recorded).n).toBe(1);
    expect(progress.at(-1)).toBe(1);
  });

  it('sends seed, steps and negative prompt only when extensions are on', async () => {
    const { baseUrl, requests } = await serve(async (_req, res) =>
      json(res, 200, { data: [{ b64_json: await pngBase64(64, 48, '#000') }] }),
    );
    await new OpenAIImagesProvider({ baseUrl, apiKey: 'k', sendExtensions: true }).generate(
      { ...request, count: 1, negativePrompt: 'fog' },
      () => {},
    );
    expect(bodyJson(requests[0] as Recorded)).toMatchObject({
      seed: 1234,
      steps: 20,
      negative_prompt: 'fog',
    });
  });

  it('image-to-image: posts multipart to /v1/images/edits with the init image', async () => {
    const { baseUrl, requests } = await serve(async (_req, res) =>
      json(res, 200, { data: [{ b64_json: await pngBase64(64, 48, '#123456') }] }),
    );
    const init = await sharp(await gradientPng(64, 48))
      .jpeg()
      .toBuffer();
    const result = await new OpenAIImagesProvider({ baseUrl, apiKey: 'k' }).generate(
      { ...request, count: 1, initImage: init, strength: 0.4 },
      () => {},
    );
    expect(result.images).toHaveLength(1);
    const sent = requests[0] as Recorded;
    expect(sent.url).toBe('/v1/images/edits');
    expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const form = await new Response(new Uint8Array(sent.body), {
      headers: { 'content-type': String(sent.headers['content-type']) },
    }).formData();
    expect(form.get('prompt')).toBe('a lighthouse at dusk');
    expect(form.get('n')).toBe('1');
    expect(form.get('size')).toBe('64x48');
    const file = form.get('image');
    expect(file).toBeInstanceOf(Blob);
    // The JPEG init image was sent as PNG.
    expect((await sharp(Buffer.from(await (file as Blob).arrayBuffer())).metadata()).format).toBe(
      'png',
    );
  });

  it('resizes an image of another size to the requested size', async () => {
    const { baseUrl } = await serve(async (_req, res) =>
      json(res, 200, { data: [{ b64_json: await pngBase64(128, 128, '#00ff00') }] }),
    );
    const result = await new OpenAIImagesProvider({ baseUrl, apiKey: 'k' }).generate(
      { ...request, count: 1 },
      () => {},
    );
    expect(await size(result.images[0] as Uint8Array)).toEqual(['png', 64, 48]);
  });

  it('maps a 500 to http-error with the provider message', async () => {
    const { baseUrl, requests } = await serve((_req, res) =>
      json(res, 500, {
        error: {
          message: 'The server had an error while processing your request.',
          type: 'server_error',
        },
      }),
    );
    const error = await failure(
      new OpenAIImagesProvider({ baseUrl, apiKey: 'k' }).generate(request, () => {}),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'http-error', status: 500 });
    expect(requests).toHaveLength(3); // retried twice, as the OpenAI SDK does
    expect((error as Error).message).toContain('The server had an error');
  });

  it('maps malformed JSON and a wrong shape to bad-response', async () => {
    const broken = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data": [ {"b64_json": "iVBOR');
    });
    expect(
      await failure(
        new OpenAIImagesProvider({ baseUrl: broken.baseUrl, apiKey: 'k' }).generate(
          request,
          () => {},
        ),
      ),
    ).toMatchObject({ code: 'bad-response' });
    const wrong = await serve((_req, res) =>
      json(res, 200, { data: [{ url: 'https://example.invalid/x.png' }] }),
    );
    expect(
      await failure(
        new OpenAIImagesProvider({ baseUrl: wrong.baseUrl, apiKey: 'k' }).generate(
          request,
          () => {},
        ),
      ),
    ).toMatchObject({ code: 'bad-response' });
    const notImage = await serve((_req, res) =>
      json(res, 200, { data: [{ b64_json: Buffer.from('hello').toString('base64') }] }),
    );
    expect(
      await failure(
        new OpenAIImagesProvider({ baseUrl: notImage.baseUrl, apiKey: 'k' }).generate(
          { ...request, count: 1 },
          () => {},
        ),
      ),
    ).toMatchObject({ code: 'bad-response' });
    const tooFew = await serve(async (_req, res) =>
      json(res, 200, { data: [{ b64_json: await pngBase64(64, 48, '#000') }] }),
    );
    expect(
      await failure(
        new OpenAIImagesProvider({ baseUrl: tooFew.baseUrl, apiKey: 'k' }).generate(
          request,
          () => {},
        ),
      ),
    ).toMatchObject({ code: 'bad-response' });
  });

  it('times out on a slow server', async () => {
    const { baseUrl } = await serve(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      json(res, 200, { data: [] });
    });
    const started = Date.now();
    const error = await failure(
      new OpenAIImagesProvider({ baseUrl, apiKey: 'k', timeoutMs: 300 }).generate(
        request,
        () => {},
      ),
    );
    expect(error).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('honours the abort signal mid-request', async () => {
    const { baseUrl } = await serve(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      json(res, 200, { data: [] });
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(
      new OpenAIImagesProvider({ baseUrl, apiKey: 'k', timeoutMs: 10_000 }).generate(
        request,
        () => {},
        controller.signal,
      ),
    );
    expect(isAbortError(error)).toBe(true);
    expect(error).not.toBeInstanceOf(ProviderError);
  });

  it('reports an unreachable server', async () => {
    const { baseUrl } = await serve((_req, res) => {
      res.end();
    });
    for (const stand of stands.splice(0)) await stand.close();
    const error = await failure(
      new OpenAIImagesProvider({ baseUrl, apiKey: 'k' }).generate(request, () => {}),
    );
    expect(error).toMatchObject({ code: 'unreachable' });
    expect((error as Error).message).toContain('connection refused');
  });

  it('refuses bad requests before calling anyone', async () => {
    const provider = new OpenAIImagesProvider({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k' });
    await expect(provider.generate({ ...request, count: 0 }, () => {})).rejects.toBeInstanceOf(
      EngineError,
    );
    await expect(provider.generate({ ...request, prompt: '  ' }, () => {})).rejects.toBeInstanceOf(
      EngineError,
    );
  });
});

describe('Easel Preview (offline, not AI)', () => {
  const provider = new EaselPreviewProvider();

  it('is labelled honestly', () => {
    expect(provider.id).toBe('easel-preview');
    expect(previewLabel).toMatch(/not AI/);
    expect(provider.label).toBe(previewLabel);
    expect(createProvider({ kind: 'preview' }).label).toBe(previewLabel);
  });

  it('honours count and size; same prompt and seed give identical bytes; another seed differs', async () => {
    const a = await provider.generate({ ...request, width: 96, height: 64 }, () => {});
    const b = await provider.generate({ ...request, width: 96, height: 64 }, () => {});
    expect(a.images).toHaveLength(3);
    for (const image of a.images) expect(await size(image)).toEqual(['png', 96, 64]);
    a.images.forEach((image, i) =>
      expect(Buffer.from(image).equals(Buffer.from(b.images[i] as Uint8Array))).toBe(true),
    );
    // Images of a batch differ from each other (seed + i)…
    expect(
      Buffer.from(a.images[0] as Uint8Array).equals(Buffer.from(a.images[1] as Uint8Array)),
    ).toBe(false);
    // …and image i of seed s is image 0 of seed s + i.
    const shifted = await provider.generate(
      { ...request, width: 96, height: 64, seed: 1235, count: 1 },
      () => {},
    );
    expect(
      Buffer.from(shifted.images[0] as Uint8Array).equals(Buffer.from(a.images[1] as Uint8Array)),
    ).toBe(true);
    const other = await provider.generate(
      { ...request, width: 96, height: 64, seed: 99, count: 1 },
      () => {},
    );
    const [x, y] = [
      await rgbPixels(other.images[0] as Uint8Array),
      await rgbPixels(a.images[0] as Uint8Array),
    ];
    expect(meanAbsDiff(x.data, y.data)).toBeGreaterThan(5);
    const otherPrompt = await provider.generate(
      { ...request, width: 96, height: 64, prompt: 'a forest', count: 1 },
      () => {},
    );
    expect(
      Buffer.from(otherPrompt.images[0] as Uint8Array).equals(
        Buffer.from(a.images[0] as Uint8Array),
      ),
    ).toBe(false);
  });

  it('steps change the amount of detail', async () => {
    const few = await provider.generate({ ...request, count: 1, steps: 2 }, () => {});
    const many = await provider.generate({ ...request, count: 1, steps: 60 }, () => {});
    expect(
      Buffer.from(few.images[0] as Uint8Array).equals(Buffer.from(many.images[0] as Uint8Array)),
    ).toBe(false);
  });

  it('image-to-image blends the init image by strength', async () => {
    const init = await gradientPng(64, 48);
    const initPx = await rgbPixels(init);
    const diff = async (strength: number): Promise<number> => {
      const out = await provider.generate(
        { ...request, count: 1, initImage: init, strength },
        () => {},
      );
      return meanAbsDiff((await rgbPixels(out.images[0] as Uint8Array)).data, initPx.data);
    };
    expect(await diff(0)).toBeLessThan(1);
    const light = await diff(0.3);
    const strong = await diff(0.9);
    expect(light).toBeGreaterThan(1);
    expect(strong).toBeGreaterThan(light);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(
      isAbortError(await failure(provider.generate(request, () => {}, controller.signal))),
    ).toBe(true);
  });
});
