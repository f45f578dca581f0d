/**
 * HTTP for the provider adapters: one request with a time-out that covers the whole exchange
 * (connect, headers and body), the caller's AbortSignal, a cap on the response size, and every
 * failure mapped to ProviderError (or EngineAbortError when the caller cancelled).
 */
import { EngineAbortError } from '../errors';
import { ProviderError } from './types';

export interface HttpOptions {
  /** Provider name used in error messages. */
  provider: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest response body accepted (default 256 MB). */
  maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** Joins a base URL (with or without a trailing slash) and an absolute path. */
export function joinUrl(baseUrl: string, path: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ProviderError('unreachable', `The provider address "${baseUrl}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ProviderError(
      'unreachable',
      `The provider address must be http or https, not ${url.protocol}`,
    );
  return `${url.href.replace(/\/+$/, '')}${path}`;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | FormData;
}

/**
 * Sends one request and returns the body of a 2xx answer as bytes. Throws ProviderError:
 * 'timeout' after `timeoutMs`, 'unreachable' when no answer could be had (refused, DNS, reset,
 * redirect), 'http-error' for non-2xx answers (with the provider's own message when it sent one),
 * and 'bad-response' for bodies over the size cap. Throws EngineAbortError when `signal` aborts.
 */
export async function requestBytes(
  url: string,
  init: HttpRequest,
  options: HttpOptions,
): Promise<Buffer> {
  const { signal, provider } = options;
  if (signal?.aborted) throw new EngineAbortError();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const failure = (error: unknown): Error => {
    if (signal?.aborted) return new EngineAbortError();
    if (timedOut) {
      return new ProviderError(
        'timeout',
        `${provider} did not answer within ${Math.round(options.timeoutMs / 1000)} s.`,
      );
    }
    if (error instanceof ProviderError) return error;
    return new ProviderError(
      'unreachable',
      `${provider} could not be reached at ${new URL(url).origin}: ${networkReason(describe(error))}.`,
    );
  };
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method,
        headers: init.headers,
        body: init.body,
        signal: controller.signal,
        redirect: 'error',
      });
    } catch (error) {
      throw failure(error);
    }
    let body: Buffer;
    try {
      body = await readBody(
        response,
        options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        provider,
      );
    } catch (error) {
      throw failure(error);
    }
    if (!response.ok) {
      const text = body.toString('utf8');
      throw new ProviderError(
        'http-error',
        `${provider} answered HTTP ${response.status}${errorDetail(text)}.`,
        response.status,
        { body: parseJson(text), retryAfterMs: retryAfterMs(response.headers) },
      );
    }
    return body;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Like requestBytes, and parses the body as JSON ('bad-response' when it is not JSON). */
export async function requestJson(
  url: string,
  init: HttpRequest,
  options: HttpOptions,
): Promise<unknown> {
  const text = (await requestBytes(url, init, options)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProviderError(
      'bad-response',
      `${options.provider} sent a response that is not JSON (${text.length} bytes starting "${snippet(text)}").`,
    );
  }
}

async function readBody(response: Response, maxBytes: number, provider: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new ProviderError(
      'bad-response',
      `${provider} sent ${declared} bytes; at most ${maxBytes} are accepted.`,
    );
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ProviderError('bad-response', `${provider} sent more than ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/**
 * The provider's own reason in an error body: OpenAI's `error.message`, FastAPI's `detail`
 * (a string, or a list of `{loc, msg}` on 422), Automatic1111's `{error, errors}` (its
 * exception handler in modules/api/api.py), ComfyUI's `{error: {message, details}}`.
 */
export function errorReason(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const error = b.error;
  if (typeof error === 'object' && error !== null) {
    const e = error as Record<string, unknown>;
    const message = str(e.message);
    const details = str(e.details);
    if (message && details && details !== message)
      return `${message.replace(/\.$/, '')} (${details})`;
    if (message) return message;
  }
  // Automatic1111: {"error": "OutOfMemoryError", "detail": "", "body": "", "errors": "CUDA out of memory…"}
  const errors = str(b.errors);
  if (typeof error === 'string' && errors) return `${error}: ${errors}`;
  if (typeof error === 'string') return error;
  if (errors) return errors;
  if (str(b.detail)) return String(b.detail);
  if (Array.isArray(b.detail)) {
    const parts = b.detail.flatMap((d: unknown) => {
      if (typeof d !== 'object' || d === null) return [];
      const item = d as Record<string, unknown>;
      const loc = Array.isArray(item.loc) ? item.loc.join('.') : '';
      return str(item.msg) ? [`${loc ? `${loc}: ` : ''}${String(item.msg)}`] : [];
    });
    if (parts.length > 0) return parts.join('; ');
  }
  return str(b.message);
}

function errorDetail(text: string): string {
  const reason = errorReason(parseJson(text));
  if (reason) return `: ${reason.slice(0, 300)}`;
  return text.trim() ? ` ("${snippet(text)}")` : '';
}

/** Retry-After-Ms or Retry-After (seconds or an HTTP date), as the OpenAI SDK reads them. */
function retryAfterMs(headers: Headers): number | null {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms)) return ms;
  const after = headers.get('retry-after');
  if (!after) return null;
  const seconds = Number.parseFloat(after);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const at = Date.parse(after);
  return Number.isFinite(at) ? at - Date.now() : null;
}

function networkReason(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'nothing is listening there (connection refused); start it or check the address';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'that host name was not found; check the address';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was dropped; check that the server is running';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'that network address cannot be reached; check the address and the network';
    default:
      return code;
  }
}

function snippet(text: string): string {
  return text.slice(0, 80).replace(/\s+/g, ' ');
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause: unknown = error.cause;
    if (
      typeof cause === 'object' &&
      cause !== null &&
      'code' in cause &&
      typeof cause.code === 'string'
    )
      return cause.code;
    if (cause instanceof Error) return cause.message;
    return error.message;
  }
  return String(error);
}

/** Waits `ms`, or throws EngineAbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new EngineAbortError());
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(new EngineAbortError());
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

export interface RetryOptions {
  /** Further attempts after the first (the OpenAI SDK's default is 2). */
  retries: number;
  signal?: AbortSignal;
  /** Date.now() after which no retry starts. */
  deadline: number;
  /** Whether this failure is worth another attempt. */
  retryable(error: ProviderError): boolean;
}

/**
 * Runs `attempt`, retrying retryable failures with the OpenAI SDK's schedule (src/client.ts,
 * openai-node 7.5.0): the server's Retry-After(-Ms) when it gives one of at most 60 s, else
 * 0.5 s doubling up to 8 s with up to 25 % jitter.
 */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ProviderError) || n >= options.retries || !options.retryable(error))
        throw error;
      const hinted = error.answer?.retryAfterMs;
      const wait =
        hinted !== undefined && hinted !== null && hinted >= 0 && hinted <= 60_000
          ? hinted
          : Math.min(500 * 2 ** n, 8000) * (1 - Math.random() * 0.25);
      if (Date.now() + wait >= options.deadline) throw error;
      await sleep(wait, options.signal);
    }
  }
}
