/**
 * Local HTTP stand-ins for the generation services the adapters talk to, answering with the
 * shapes the real APIs send (bodies recorded from OpenAI's images API and an Automatic1111
 * server, images replaced by small PNGs). Each records its requests; its behaviour can be
 * switched per test.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (req: Recorded, res: ServerResponse) => unknown;

export interface StandIn {
  baseUrl: string;
  requests: Recorded[];
  handler: Handler;
  /** Requests whose answer is being held back (see `hang`). */
  readonly hanging: number;
  /** The HTTP server itself (e.g. to accept WebSocket upgrades). */
  readonly server: Server;
  close(): Promise<void>;
}

export async function standIn(handler: Handler): Promise<StandIn> {
  const requests: Recorded[] = [];
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      held.add(res);
      res.on('close', () => held.delete(res));
      void Promise.resolve(self.handler(recorded, res)).catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const self: StandIn = {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    handler,
    get hanging() {
      return [...held].filter((r) => !r.writableEnded).length;
    },
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}

/** Never answers (until the client gives up or the server closes). */
export const hang: Handler = () => undefined;

/**
 * An engine that says what it has (OpenAI's model list, Automatic1111's checkpoints) but never
 * finishes a generation: jobs on it are admitted and then stay running.
 */
export const hangingEngine: Handler = (req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/v1/models')
    return json(res, 200, {
      object: 'list',
      data: [{ id: 'dall-e-2', object: 'model', created: 1, owned_by: 'system' }],
    });
  if (path === '/sdapi/v1/sd-models')
    return json(res, 200, [
      {
        title: 'v1-5-pruned-emaonly.safetensors [6ce0161689]',
        model_name: 'v1-5-pruned-emaonly',
        hash: '6ce0161689',
        sha256: null,
        filename: '/m/v1-5-pruned-emaonly.safetensors',
        config: null,
      },
    ]);
  if (path === '/internal/progress')
    return json(res, 200, {
      active: false,
      queued: false,
      completed: false,
      textinfo: 'Waiting...',
    });
  if (path === '/sdapi/v1/interrupt') return json(res, 200, {});
  if (path?.startsWith('/sdapi/v1/')) return json(res, 200, []);
  return undefined;
};

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function pngBase64(
  width: number,
  height: number,
  colour = '#3366aa',
): Promise<string> {
  const png = await sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
  return png.toString('base64');
}

function bodyOf(req: Recorded): Record<string, unknown> {
  try {
    return JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

// ---- OpenAI images API ----------------------------------------------------------------------

/** 200 from POST /v1/images/generations, as OpenAI sends it (b64_json requested). */
export const openaiImages: Handler = async (req, res) => {
  if (req.method === 'GET' && req.url === '/v1/models')
    return json(res, 200, {
      object: 'list',
      data: ['dall-e-2', 'dall-e-3', 'gpt-image-1'].map((id) => ({
        id,
        object: 'model',
        created: 1,
        owned_by: 'system',
      })),
    });
  const body = bodyOf(req);
  const [w, h] = String(body.size ?? '64x64')
    .split('x')
    .map(Number);
  const n = Number(body.n ?? 1);
  const data = await Promise.all(
    Array.from({ length: n }, async (_, i) => ({
      b64_json: await pngBase64(w ?? 64, h ?? 64, i % 2 ? '#aa6633' : '#3366aa'),
      revised_prompt: `A detailed rendering of ${String(body.prompt)}`,
    })),
  );
  json(res, 200, {
    created: 1_713_833_628,
    data,
    usage: {
      total_tokens: 100,
      input_tokens: 50,
      output_tokens: 50,
      input_tokens_details: { text_tokens: 10, image_tokens: 40 },
    },
  });
};

/** Answers GET /v1/models as openaiImages does, and hands everything else to `handler`. */
export const withModelList =
  (handler: Handler): Handler =>
  (req, res) =>
    req.method === 'GET' && req.url === '/v1/models' ? openaiImages(req, res) : handler(req, res);

/** Recorded OpenAI error bodies. */
export const openaiErrors = {
  invalidKey: {
    status: 401,
    body: {
      error: {
        message:
          'Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    },
  },
  serverError: {
    status: 500,
    body: {
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
    },
  },
  contentPolicy: {
    status: 400,
    body: {
      error: {
        code: 'content_policy_violation',
        message:
          'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
        param: null,
        type: 'invalid_request_error',
      },
    },
  },
} as const;

export const answer =
  (e: { status: number; body: unknown }): Handler =>
  (_req, res) =>
    json(res, e.status, e.body);

/** Answers the first `n` requests with `first`, the rest with `then`. */
export function firstThen(n: number, first: Handler, then: Handler): Handler {
  let seen = 0;
  return (req, res) => (seen++ < n ? first(req, res) : then(req, res));
}

/** Holds every request until `open()`, then lets `then` answer them (and later ones at once). */
export function gated(then: Handler): { handler: Handler; open(): void } {
  let opened = false;
  const waiting: Array<() => void> = [];
  return {
    handler: (req, res) => {
      if (opened) return then(req, res);
      waiting.push(() => void then(req, res));
      return undefined;
    },
    open() {
      opened = true;
      for (const go of waiting.splice(0)) go();
    },
  };
}
