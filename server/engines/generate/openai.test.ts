import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { gradientPng } from '../test-images';
import { OpenAIImagesProvider } from './openai';
import { type OpenAIStandIn, openaiStandIn } from './stand-ins/openai';
import type { GenerationRequest } from './types';

const stands: OpenAIStandIn[] = [];
async function serve(options?: Parameters<typeof openaiStandIn>[0]): Promise<OpenAIStandIn> {
  const s = await openaiStandIn(options);
  stands.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stands.splice(0)) await s.close();
});

const request: GenerationRequest = {
  prompt: 'a lighthouse at dusk',
  width: 512,
  height: 512,
  steps: 20,
  seed: 7,
  count: 1,
  model: 'gpt-image-1',
};

const provider = (
  s: OpenAIStandIn,
  extra: Partial<ConstructorParameters<typeof OpenAIImagesProvider>[0]> = {},
) => new OpenAIImagesProvider({ baseUrl: s.baseUrl, apiKey: 'sk-test-key', ...extra });

const bodyOf = (s: OpenAIStandIn, i: number) =>
  JSON.parse(s.requests[i]?.body.toString('utf8') ?? '{}') as Record<string, unknown>;

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error & { code?: string },
  );
}

describe('the OpenAI stand-in refuses what the API refuses', () => {
  it('response_format and other sizes for GPT image models, n > 1 for dall-e-3, a wrong key', async () => {
    const s = await serve();
    const post = (body: unknown, key = 'sk-test-key') =>
      fetch(`${s.baseUrl}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { error?: { code: string } },
      }));
    expect(
      await post({ model: 'gpt-image-1', prompt: 'x', response_format: 'b64_json' }),
    ).toMatchObject({ status: 400, body: { error: { code: 'unknown_parameter' } } });
    expect(await post({ model: 'gpt-image-1', prompt: 'x', size: '512x512' })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_value' } },
    });
    expect(await post({ model: 'dall-e-3', prompt: 'x', n: 2 })).toMatchObject({ status: 400 });
    expect(await post({ model: 'gpt-image-1', prompt: 'x' }, 'sk-wrong')).toMatchObject({
      status: 401,
      body: { error: { code: 'invalid_api_key' } },
    });
    expect(await post({ model: 'gpt-image-1', prompt: 'x' })).toMatchObject({ status: 200 });
  });
});

describe('OpenAI images adapter against the stand-in', () => {
  it('gpt-image-1 at 512×512: one of its own sizes, no response_format, the image fitted back', async () => {
    const s = await serve();
    const progress: Array<[number, string | undefined]> = [];
    const result = await provider(s).generate({ ...request, count: 2 }, (f, d) =>
      progress.push([f, d?.stage]),
    );
    expect(s.requests).toHaveLength(1);
    const body = bodyOf(s, 0);
    expect(body).toEqual({
      model: 'gpt-image-1',
      prompt: 'a lighthouse at dusk',
      n: 2,
      size: '1024x1024',
    });
    expect(result.images).toHaveLength(2);
    for (const image of result.images)
      expect(await sharp(image).metadata()).toMatchObject({
        format: 'png',
        width: 512,
        height: 512,
      });
    expect(progress[0]).toEqual([0, 'Waiting for gpt-image-1']);
    expect(progress.at(-1)?.[0]).toBe(1);
  });

  it('picks the size closest in shape: wide for gpt-image-1, 1792×1024 for dall-e-3, multiples of 16 for gpt-image-2', async () => {
    const s = await serve({ models: ['gpt-image-1', 'dall-e-3', 'gpt-image-2'] });
    await provider(s).generate({ ...request, width: 640, height: 360 }, () => {});
    await provider(s).generate(
      { ...request, model: 'dall-e-3', width: 640, height: 360 },
      () => {},
    );
    await provider(s).generate(
      { ...request, model: 'gpt-image-2', width: 650, height: 360 },
      () => {},
    );
    expect([0, 1, 2].map((i) => bodyOf(s, i).size)).toEqual(['1536x1024', '1792x1024', '1024x560']);
    expect(bodyOf(s, 1).response_format).toBe('b64_json');
  });

  it('dall-e-3 makes one image per request and cannot edit', async () => {
    const s = await serve();
    const result = await provider(s).generate(
      { ...request, model: 'dall-e-3', count: 3 },
      () => {},
    );
    expect(result.images).toHaveLength(3);
    expect(s.requests.map((_, i) => bodyOf(s, i).n)).toEqual([1, 1, 1]);
    const refused = await failure(
      provider(s).generate(
        { ...request, model: 'dall-e-3', initImage: await gradientPng(64, 64) },
        () => {},
      ),
    );
    expect(refused).toMatchObject({ code: 'refused' });
    expect(refused.message).toMatch(/cannot start from an image/);
    expect(s.requests).toHaveLength(3);
  });

  it('dall-e-2 edits get a square PNG; GPT image edits get the image as it is', async () => {
    const s = await serve();
    const init = await sharp(await gradientPng(96, 64))
      .jpeg()
      .toBuffer();
    await provider(s).generate({ ...request, model: 'dall-e-2', initImage: init }, () => {});
    await provider(s).generate({ ...request, model: 'gpt-image-1', initImage: init }, () => {});
    const form = async (i: number) =>
      new Response(new Uint8Array(s.requests[i]?.body ?? []), {
        headers: { 'content-type': String(s.requests[i]?.headers['content-type']) },
      }).formData();
    const first = (await form(0)).get('image') as Blob;
    expect(await sharp(Buffer.from(await first.arrayBuffer())).metadata()).toMatchObject({
      format: 'png',
      width: 96,
      height: 96,
    });
    expect((await form(0)).get('response_format')).toBe('b64_json');
    const second = await form(1);
    expect(second.get('response_format')).toBeNull();
    expect(
      await sharp(Buffer.from(await (second.get('image') as Blob).arrayBuffer())).metadata(),
    ).toMatchObject({ width: 96, height: 64 });
  });

  it('retries rate limits with the server’s retry-after-ms, then says what is wrong', async () => {
    const s = await serve();
    s.rateLimit(2, 30);
    const result = await provider(s).generate(request, () => {});
    expect(result.images).toHaveLength(1);
    expect(s.requests).toHaveLength(3);
    s.rateLimit(5, 10);
    const limited = await failure(provider(s).generate(request, () => {}));
    expect(limited).toMatchObject({ code: 'rate-limited', status: 429 });
    expect(limited.message).toMatch(/rate limiting or out of quota .*Wait a minute/);
  });

  it('a wrong key, a refused prompt and an unknown model are sentences with the next step', async () => {
    const s = await serve();
    const auth = await failure(provider(s, { apiKey: 'sk-wrong' }).generate(request, () => {}));
    expect(auth).toMatchObject({ code: 'auth' });
    expect(auth.message).toMatch(/refused the key .*Check the key in Settings → Image engine\./);
    expect(auth.message).not.toContain('sk-wrong');
    s.blockWord = 'forbidden';
    const blocked = await failure(
      provider(s).generate({ ...request, prompt: 'a forbidden thing' }, () => {}),
    );
    expect(blocked).toMatchObject({ code: 'refused' });
    expect(blocked.message).toMatch(/safety system refused .*Change the prompt/);
    const unknown = await failure(
      provider(s).generate({ ...request, model: 'gpt-image-1-mini' }, () => {}),
    );
    expect(unknown).toMatchObject({ code: 'refused' });
  });

  it('probe lists the image models, and a wrong key says so', async () => {
    const s = await serve();
    const probe = await provider(s).probe();
    expect(probe.models).toEqual([
      { name: 'dall-e-2', family: 'dall-e-2' },
      { name: 'dall-e-3', family: 'dall-e-3' },
      { name: 'gpt-image-1', family: 'gpt-image' },
      { name: 'gpt-image-1.5', family: 'gpt-image' },
    ]);
    expect(await failure(provider(s, { apiKey: 'nope' }).probe())).toMatchObject({ code: 'auth' });
  });
});
