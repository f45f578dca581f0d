/**
 * A local stand-in for OpenAI's images API, for tests. It refuses what the real API refuses,
 * following the request rules documented in the OpenAI SDK (openai-node 7.5.0,
 * src/resources/images.ts: ImageGenerateParamsBase, ImageEditParamsBase; src/resources/models.ts):
 * a bearer key, `response_format` only for dall-e-2/3, each model's sizes, n = 1 for dall-e-3,
 * no edits with dall-e-3, square PNGs for dall-e-2 edits. Errors have the API's
 * `{error: {message, type, param, code}}` shape; rate limits carry `retry-after-ms`.
 */
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { type Recorded, type StandIn, json, pngBase64, standIn } from '../../../jobs/stand-ins';

export interface OpenAIStandInOptions {
  key?: string;
  /** What GET /v1/models lists (and what generation accepts). */
  models?: string[];
}

export interface OpenAIStandIn extends StandIn {
  /** Answer the next `count` image requests with 429 (retry-after-ms: `afterMs`). */
  rateLimit(count: number, afterMs?: number): void;
  /** Answer the next `count` image requests with 500. */
  serverErrors(count: number): void;
  /** Prompts containing this word are refused by the "safety system". */
  blockWord: string | null;
  /** Image requests answered so far with images. */
  readonly served: number;
}

type Rule = { sizes: string[] | 'free'; maxN: number; responseFormat: boolean; edits: boolean };

const RULES: Record<string, Rule> = {
  'dall-e-2': {
    sizes: ['256x256', '512x512', '1024x1024'],
    maxN: 10,
    responseFormat: true,
    edits: true,
  },
  'dall-e-3': {
    sizes: ['1024x1024', '1792x1024', '1024x1792'],
    maxN: 1,
    responseFormat: true,
    edits: false,
  },
  'gpt-image-1': {
    sizes: ['1024x1024', '1536x1024', '1024x1536', 'auto'],
    maxN: 10,
    responseFormat: false,
    edits: true,
  },
  'gpt-image-1-mini': {
    sizes: ['1024x1024', '1536x1024', '1024x1536', 'auto'],
    maxN: 10,
    responseFormat: false,
    edits: true,
  },
  'gpt-image-1.5': {
    sizes: ['1024x1024', '1536x1024', '1024x1536', 'auto'],
    maxN: 10,
    responseFormat: false,
    edits: true,
  },
  'gpt-image-2': { sizes: 'free', maxN: 10, responseFormat: false, edits: true },
};

function apiError(
  res: ServerResponse,
  status: number,
  message: string,
  param: string | null,
  code: string | null,
  type = 'invalid_request_error',
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, param, code } }));
}

const listText = (values: string[]): string =>
  values.length <= 1
    ? values.map((v) => `'${v}'`).join('')
    : `${values
        .slice(0, -1)
        .map((v) => `'${v}'`)
        .join(', ')}, and '${values.at(-1) ?? ''}'`;

function freeSizeOk(size: string): boolean {
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m) return size === 'auto';
  const w = Number(m[1]);
  const h = Number(m[2]);
  return (
    w % 16 === 0 &&
    h % 16 === 0 &&
    w / h <= 3 &&
    h / w <= 3 &&
    Math.max(w, h) <= 3840 &&
    w * h <= 3840 * 2160
  );
}

async function bodyOf(req: Recorded): Promise<Record<string, string | File>> {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(req.body), {
      headers: { 'content-type': type },
    }).formData();
    const out: Record<string, string | File> = {};
    for (const [k, v] of form.entries()) out[k] = v;
    return out;
  }
  try {
    const parsed = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  } catch {
    return {};
  }
}

export async function openaiStandIn(options: OpenAIStandInOptions = {}): Promise<OpenAIStandIn> {
  const key = options.key ?? 'sk-test-key';
  const models = options.models ?? [
    'dall-e-2',
    'dall-e-3',
    'gpt-image-1',
    'gpt-image-1.5',
    'gpt-4o',
  ];
  let limited = 0;
  let limitAfterMs = 20;
  let failing = 0;
  let served = 0;
  const self = (await standIn(async (req, res) => {
    const url = new URL(req.url, 'http://stand-in');
    if (req.headers.authorization !== `Bearer ${key}`) {
      const shown = String(req.headers.authorization ?? '').replace(/^Bearer\s+/, '');
      return apiError(
        res,
        401,
        `Incorrect API key provided: ${shown.slice(0, 4)}*****. You can find your API key at https://platform.openai.com/account/api-keys.`,
        null,
        'invalid_api_key',
      );
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: models.map((id) => ({
          id,
          object: 'model',
          created: 1_698_785_189,
          owned_by: 'system',
        })),
      });
    }
    const edit = url.pathname === '/v1/images/edits';
    if (req.method !== 'POST' || !(edit || url.pathname === '/v1/images/generations')) {
      return apiError(res, 404, `Invalid URL (${req.method} ${url.pathname})`, null, null);
    }
    if (limited > 0) {
      limited--;
      return apiError(
        res,
        429,
        'Rate limit reached for images per minute. Please try again in 20ms.',
        null,
        'rate_limit_exceeded',
        'requests',
        { 'retry-after-ms': String(limitAfterMs) },
      );
    }
    if (failing > 0) {
      failing--;
      return apiError(
        res,
        500,
        'The server had an error while processing your request. Sorry about that!',
        null,
        null,
        'server_error',
      );
    }
    const body = await bodyOf(req);
    const model = typeof body.model === 'string' ? body.model : edit ? 'gpt-image-1.5' : 'dall-e-2';
    const rule = RULES[model];
    if (!rule || !models.includes(model))
      return apiError(res, 400, `Invalid value for 'model' = ${model}.`, 'model', 'invalid_value');
    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    if (!prompt)
      return apiError(
        res,
        400,
        "Missing required parameter: 'prompt'.",
        'prompt',
        'missing_required_parameter',
      );
    if (edit && !rule.edits)
      return apiError(
        res,
        400,
        `Invalid value: '${model}'. Value must be 'dall-e-2' or a GPT image model.`,
        'model',
        'invalid_value',
      );
    if (body.response_format !== undefined && !rule.responseFormat)
      return apiError(
        res,
        400,
        "Unknown parameter: 'response_format'.",
        'response_format',
        'unknown_parameter',
      );
    for (const extra of ['seed', 'steps', 'negative_prompt', 'strength'])
      if (body[extra] !== undefined)
        return apiError(res, 400, `Unknown parameter: '${extra}'.`, extra, 'unknown_parameter');
    const size = typeof body.size === 'string' ? body.size : '1024x1024';
    if (rule.sizes === 'free' ? !freeSizeOk(size) : !rule.sizes.includes(size))
      return apiError(
        res,
        400,
        rule.sizes === 'free'
          ? `Invalid size '${size}': width and height must be multiples of 16, the aspect ratio between 1:3 and 3:1, and at most 3840x2160.`
          : `Invalid value: '${size}'. Supported values are: ${listText(rule.sizes)}.`,
        'size',
        'invalid_value',
      );
    const n = body.n === undefined ? 1 : Number(body.n);
    if (!Number.isInteger(n) || n < 1 || n > rule.maxN)
      return apiError(
        res,
        400,
        n > rule.maxN && rule.maxN === 1
          ? `Invalid 'n': integer above maximum value. Expected a value <= 1, but got ${n} instead.`
          : `Invalid 'n': expected an integer from 1 to ${rule.maxN}, but got ${String(body.n)} instead.`,
        'n',
        'integer_above_max_value',
      );
    if (edit) {
      const image = body.image;
      if (!(image instanceof File))
        return apiError(
          res,
          400,
          "Missing required parameter: 'image'.",
          'image',
          'missing_required_parameter',
        );
      const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
      if (model === 'dall-e-2' && (meta.format !== 'png' || meta.width !== meta.height))
        return apiError(
          res,
          400,
          'Uploaded image must be a PNG and square.',
          'image',
          'invalid_image',
        );
    }
    if (self.blockWord && prompt.toLowerCase().includes(self.blockWord)) {
      return rule.responseFormat
        ? apiError(
            res,
            400,
            'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
            null,
            'content_policy_violation',
          )
        : apiError(
            res,
            400,
            'Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID.',
            null,
            'moderation_blocked',
          );
    }
    const [w, h] = (size === 'auto' ? '1024x1024' : size).split('x').map(Number);
    const b64 = await pngBase64(w ?? 1024, h ?? 1024, '#3366aa');
    served++;
    const wantsUrl = rule.responseFormat && body.response_format !== 'b64_json';
    const data = Array.from({ length: n }, () =>
      wantsUrl
        ? {
            url: 'https://oaidalleapiprodscus.blob.core.windows.net/private/stand-in.png',
            revised_prompt: prompt,
          }
        : { b64_json: b64, ...(model === 'dall-e-3' ? { revised_prompt: prompt } : {}) },
    );
    return json(res, 200, {
      created: Math.floor(Date.now() / 1000),
      data,
      ...(rule.responseFormat
        ? {}
        : {
            background: 'opaque',
            output_format: 'png',
            quality: 'medium',
            size,
            usage: {
              input_tokens: 50,
              input_tokens_details: { image_tokens: edit ? 40 : 0, text_tokens: 10 },
              output_tokens: 1056 * n,
              total_tokens: 50 + 1056 * n,
            },
          }),
    });
  })) as OpenAIStandIn;
  Object.defineProperty(self, 'served', { get: () => served });
  self.blockWord = null;
  self.rateLimit = (count, afterMs = 20) => {
    limited = count;
    limitAfterMs = afterMs;
  };
  self.serverErrors = (count) => {
    failing = count;
  };
  return self;
}
