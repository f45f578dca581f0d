/**
 * Adapter for OpenAI-compatible images APIs: `POST {baseUrl}/v1/images/generations` (JSON) for
 * text-to-image and `POST {baseUrl}/v1/images/edits` (multipart) for image-to-image. What it
 * sends follows each model's rules (openai-models.ts): GPT image models get no
 * `response_format` (they always answer in base64) and one of their sizes; dall-e-3 one image
 * per request and no edits; other names (compatible servers) the size as asked. Rate limits and
 * server errors are retried like the OpenAI SDK does. OpenAI's API has no seed, steps or negative
 * prompt; compatible local servers often accept them, so `sendExtensions` adds them.
 */
import { z } from 'zod';
import { type ProgressFn, noProgress, throwIfAborted } from '../errors';
import { errorReason, joinUrl, requestJson, withRetries } from './http';
import {
  type OpenAIModelRules,
  isOpenAIImageModel,
  openaiRules,
  requestSize,
} from './openai-models';
import {
  type EngineProbe,
  type GenerateProvider,
  type ModelFamily,
  type GenerationRequest,
  type GenerationResult,
  ProviderError,
} from './types';
import { checkRequest, decodeBase64Image, initImageAsPng, normaliseOutput } from './validate';
import sharp from 'sharp';

export interface OpenAIProviderOptions {
  /** Server root without /v1, e.g. 'https://api.openai.com' or 'http://127.0.0.1:8080'. */
  baseUrl: string;
  apiKey: string;
  /** Per HTTP request (default 120 s). */
  timeoutMs?: number;
  /** Largest `n` per request for models other than OpenAI's own (default 10). */
  maxImagesPerRequest?: number;
  /** Also send seed, steps, negative_prompt and strength (default false: OpenAI rejects them). */
  sendExtensions?: boolean;
  /** Send response_format: 'b64_json' to models other than OpenAI's own (default true). */
  sendResponseFormat?: boolean;
  /** Retries of a rate-limited or failing request (default 2, as the OpenAI SDK). */
  maxRetries?: number;
  /** Overrides the provider id (default 'openai'). */
  id?: string;
}

const ImagesResponse = z.object({
  data: z.array(z.object({ b64_json: z.string().min(1) })).min(1),
});

const ModelsResponse = z.object({ data: z.array(z.object({ id: z.string().min(1) })) });

function familyOf(model: string): ModelFamily {
  if (model === 'dall-e-2' || model === 'dall-e-3') return model;
  return isOpenAIImageModel(model) ? 'gpt-image' : 'other';
}

/** What the user is told the service is called in messages. */
const NAME = 'The images service';

export class OpenAIImagesProvider implements GenerateProvider {
  readonly id: string;
  readonly label = 'OpenAI-compatible images API';
  private readonly timeoutMs: number;

  constructor(private readonly options: OpenAIProviderOptions) {
    this.id = options.id ?? 'openai';
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  rules(model: string): OpenAIModelRules {
    return openaiRules(model, {
      maxN: Math.max(1, Math.min(10, Math.floor(this.options.maxImagesPerRequest ?? 10))),
      responseFormat: this.options.sendResponseFormat ?? true,
    });
  }

  async generate(
    req: GenerationRequest,
    onProgress: ProgressFn = noProgress,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    checkRequest(req);
    const rules = this.rules(req.model);
    if (req.initImage && !rules.edits)
      throw new ProviderError(
        'refused',
        `${req.model} cannot start from an image; choose another model for image to image.`,
      );
    if (req.prompt.length > rules.maxPrompt)
      throw new ProviderError(
        'refused',
        `${req.model} takes prompts of at most ${rules.maxPrompt} characters; shorten the prompt.`,
      );
    const images: Uint8Array[] = [];
    const stage = `Waiting for ${req.model || 'the images service'}`;
    onProgress(0, { stage });
    while (images.length < req.count) {
      throwIfAborted(signal);
      const n = Math.min(rules.maxN, req.count - images.length);
      const body = await this.call(req, rules, n, req.seed + images.length, signal);
      const parsed = ImagesResponse.safeParse(body);
      if (!parsed.success)
        throw new ProviderError(
          'bad-response',
          `${NAME} answered without base64 images (${parsed.error.issues[0]?.message ?? 'unexpected shape'}); check that the address is an OpenAI-compatible images API.`,
        );
      if (parsed.data.data.length < n)
        throw new ProviderError(
          'bad-response',
          `${NAME} returned ${parsed.data.data.length} images where ${n} were asked for.`,
        );
      for (const item of parsed.data.data.slice(0, n))
        images.push(
          await normaliseOutput(decodeBase64Image(item.b64_json), req.width, req.height, this.id),
        );
      onProgress(images.length / req.count, {
        stage: `Image ${images.length} of ${req.count} received`,
      });
    }
    return { images };
  }

  /** GET /v1/models: OpenAI's image models, or every model a compatible server lists. */
  async probe(signal?: AbortSignal): Promise<EngineProbe> {
    let answer: unknown;
    try {
      answer = await withRetries(
        () =>
          requestJson(
            joinUrl(this.options.baseUrl, '/v1/models'),
            { method: 'GET', headers: { authorization: `Bearer ${this.options.apiKey}` } },
            { provider: NAME, timeoutMs: 15_000, signal },
          ),
        {
          retries: 1,
          signal,
          deadline: Date.now() + 20_000,
          retryable: (e) => e.status === 429 || (e.status ?? 0) >= 500,
        },
      );
    } catch (error) {
      if (error instanceof ProviderError && error.status === 404)
        throw new ProviderError(
          'bad-response',
          `There is no OpenAI-compatible API at this address (/v1/models is missing); check the address.`,
          404,
        );
      throw classify(error, 'the models list');
    }
    const parsed = ModelsResponse.safeParse(answer);
    if (!parsed.success)
      throw new ProviderError(
        'bad-response',
        `This is not an OpenAI-compatible API: /v1/models answered something else. Check the address.`,
      );
    const ids = parsed.data.data.map((m) => m.id);
    const own = ids.filter(isOpenAIImageModel);
    const models = (own.length > 0 ? own : ids).map((name) => ({ name, family: familyOf(name) }));
    return {
      server: 'OpenAI-compatible images API',
      version: null,
      device: null,
      models,
      samplers: [],
      imageToImage: true,
      faceEnhance: false,
    };
  }

  private async call(
    req: GenerationRequest,
    rules: OpenAIModelRules,
    n: number,
    seed: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const headers = { authorization: `Bearer ${this.options.apiKey}` };
    const common: Record<string, string | number> = {
      model: req.model,
      prompt: req.prompt,
      n,
      size: requestSize(rules, req.width, req.height),
    };
    if (rules.responseFormat) common.response_format = 'b64_json';
    if (this.options.sendExtensions && rules.family === 'compatible') {
      common.seed = seed >>> 0;
      common.steps = req.steps;
      if (req.negativePrompt) common.negative_prompt = req.negativePrompt;
      if (req.initImage) common.strength = req.strength ?? 0.6;
    }
    const deadline = Date.now() + this.timeoutMs;
    const http = () => ({
      provider: NAME,
      timeoutMs: Math.max(1, deadline - Date.now()),
      signal,
    });
    const edit = req.initImage ? await this.editImage(req.initImage, rules) : null;
    const send = async (): Promise<unknown> => {
      if (!edit)
        return requestJson(
          joinUrl(this.options.baseUrl, '/v1/images/generations'),
          {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify(common),
          },
          http(),
        );
      const form = new FormData();
      form.append('image', new Blob([edit], { type: 'image/png' }), 'image.png');
      for (const [key, value] of Object.entries(common)) form.append(key, String(value));
      return requestJson(
        joinUrl(this.options.baseUrl, '/v1/images/edits'),
        { method: 'POST', headers, body: form },
        http(),
      );
    };
    try {
      return await withRetries(send, {
        retries: this.options.maxRetries ?? 2,
        signal,
        deadline,
        retryable: (e) =>
          e.code === 'unreachable' ||
          (e.status !== undefined &&
            (e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500)),
      });
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'timeout')
        throw new ProviderError(
          'timeout',
          `${NAME} did not answer within ${Math.round(this.timeoutMs / 1000)} s; try again in a moment.`,
        );
      throw classify(error, req.model);
    }
  }

  /** dall-e-2 edits only square PNGs; GPT image models take the image as it is. */
  private async editImage(
    initImage: Uint8Array,
    rules: OpenAIModelRules,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const png = await initImageAsPng(initImage);
    if (rules.family !== 'dall-e-2') return png;
    const meta = await sharp(png).metadata();
    const side = Math.min(1024, Math.max(meta.width, meta.height));
    return new Uint8Array(await sharp(png).resize(side, side, { fit: 'cover' }).png().toBuffer());
  }
}

/** Turns an HTTP failure into what it means for the user, with the service's own reason. */
function classify(error: unknown, model: string): unknown {
  if (!(error instanceof ProviderError) || error.code !== 'http-error') return error;
  const body = error.answer?.body;
  // The API echoes part of a refused key ("sk-ab*****"): never repeat any of it.
  const reason = (errorReason(body) ?? `HTTP ${error.status ?? '?'}`).replace(
    /\bsk-[\w*.-]+/g,
    'sk-…',
  );
  const code =
    typeof body === 'object' && body !== null && 'error' in body
      ? ((body.error as { code?: unknown } | null)?.code ?? null)
      : null;
  const status = error.status ?? 0;
  const make = (kind: ConstructorParameters<typeof ProviderError>[0], message: string) =>
    new ProviderError(kind, message, status);
  if (status === 401 || code === 'invalid_api_key')
    return make(
      'auth',
      `${NAME} refused the key (${reason}). Check the key in Settings → Image engine.`,
    );
  if (status === 403)
    return make(
      'auth',
      `${NAME} does not allow this (${reason}). Check the account's access to ${model}.`,
    );
  if (code === 'content_policy_violation' || code === 'moderation_blocked')
    return make(
      'refused',
      `${NAME}'s safety system refused this request (${reason}). Change the prompt and try again.`,
    );
  if (status === 404 || code === 'model_not_found')
    return make(
      'model-missing',
      `${NAME} does not offer ${model} (${reason}). Choose another model in Settings → Image engine.`,
    );
  if (status === 429)
    return make(
      'rate-limited',
      `${NAME} is rate limiting or out of quota (${reason}). Wait a minute, or check the account's quota.`,
    );
  if (status === 400 || status === 422)
    return make('refused', `${NAME} refused the request (${reason}).`);
  return make('http-error', `${NAME} failed (HTTP ${status}: ${reason}). Try again in a moment.`);
}
