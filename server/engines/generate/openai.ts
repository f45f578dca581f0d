/**
 * Adapter for OpenAI-compatible images APIs: `POST {baseUrl}/v1/images/generations` (JSON) for
 * text-to-image and `POST {baseUrl}/v1/images/edits` (multipart) for image-to-image, asking for
 * `b64_json` answers. OpenAI's API has no seed, steps or negative prompt; compatible local servers
 * (LocalAI and the like) often accept them, so `sendExtensions` adds `seed`, `steps`,
 * `negative_prompt` and `strength` to the request.
 */
import { z } from 'zod';
import { type ProgressFn, noProgress, throwIfAborted } from '../errors';
import { joinUrl, requestJson } from './http';
import {
  type GenerateProvider,
  type GenerationRequest,
  type GenerationResult,
  ProviderError,
} from './types';
import { checkRequest, decodeBase64Image, initImageAsPng, normaliseOutput } from './validate';

export interface OpenAIProviderOptions {
  /** Server root without /v1, e.g. 'https://api.openai.com' or 'http://127.0.0.1:8080'. */
  baseUrl: string;
  apiKey: string;
  /** Per HTTP request (default 120 s). */
  timeoutMs?: number;
  /** Largest `n` per request (default 10, OpenAI's limit; 1 for models such as dall-e-3). */
  maxImagesPerRequest?: number;
  /** Also send seed, steps, negative_prompt and strength (default false: OpenAI rejects them). */
  sendExtensions?: boolean;
  /** Send response_format: 'b64_json' (default true; gpt-image models always answer in base64). */
  sendResponseFormat?: boolean;
  /** Overrides the provider id (default 'openai'). */
  id?: string;
}

const ImagesResponse = z.object({
  data: z.array(z.object({ b64_json: z.string().min(1) })).min(1),
});

export class OpenAIImagesProvider implements GenerateProvider {
  readonly id: string;
  readonly label = 'OpenAI-compatible images API';
  private readonly timeoutMs: number;
  private readonly perRequest: number;

  constructor(private readonly options: OpenAIProviderOptions) {
    this.id = options.id ?? 'openai';
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.perRequest = Math.max(1, Math.min(10, Math.floor(options.maxImagesPerRequest ?? 10)));
  }

  async generate(
    req: GenerationRequest,
    onProgress: ProgressFn = noProgress,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    checkRequest(req);
    const images: Uint8Array[] = [];
    onProgress(0);
    while (images.length < req.count) {
      throwIfAborted(signal);
      const n = Math.min(this.perRequest, req.count - images.length);
      const body = await this.call(req, n, req.seed + images.length, signal);
      const parsed = ImagesResponse.safeParse(body);
      if (!parsed.success)
        throw new ProviderError(
          'bad-response',
          `${this.id} answered without base64 images (${parsed.error.issues[0]?.message ?? 'unexpected shape'}).`,
        );
      if (parsed.data.data.length < n)
        throw new ProviderError(
          'bad-response',
          `${this.id} returned ${parsed.data.data.length} images; ${n} were asked for.`,
        );
      for (const item of parsed.data.data.slice(0, n))
        images.push(
          await normaliseOutput(decodeBase64Image(item.b64_json), req.width, req.height, this.id),
        );
      onProgress(images.length / req.count);
    }
    return { images };
  }

  private async call(
    req: GenerationRequest,
    n: number,
    seed: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const headers = { authorization: `Bearer ${this.options.apiKey}` };
    const common: Record<string, string | number> = {
      model: req.model,
      prompt: req.prompt,
      n,
      size: `${req.width}x${req.height}`,
    };
    if (this.options.sendResponseFormat ?? true) common.response_format = 'b64_json';
    if (this.options.sendExtensions) {
      common.seed = seed >>> 0;
      common.steps = req.steps;
      if (req.negativePrompt) common.negative_prompt = req.negativePrompt;
      if (req.initImage) common.strength = req.strength ?? 0.6;
    }
    const http = { provider: this.id, timeoutMs: this.timeoutMs, signal };
    if (!req.initImage) {
      return requestJson(
        joinUrl(this.options.baseUrl, '/v1/images/generations'),
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(common),
        },
        http,
      );
    }
    const form = new FormData();
    form.append(
      'image',
      new Blob([await initImageAsPng(req.initImage)], { type: 'image/png' }),
      'image.png',
    );
    for (const [key, value] of Object.entries(common)) form.append(key, String(value));
    return requestJson(
      joinUrl(this.options.baseUrl, '/v1/images/edits'),
      { method: 'POST', headers, body: form },
      http,
    );
  }
}
