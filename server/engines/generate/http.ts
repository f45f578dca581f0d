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

export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

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
      `${provider} could not be reached at ${new URL(url).origin}: ${describe(error)}.`,
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
      throw new ProviderError(
        'http-error',
        `${provider} answered HTTP ${response.status}${errorDetail(body.toString('utf8'))}.`,
        response.status,
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

/** The provider's own error message, when the body is JSON with one (OpenAI and A1111 shapes). */
function errorDetail(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null) {
      const error = 'error' in body ? body.error : undefined;
      if (
        typeof error === 'object' &&
        error !== null &&
        'message' in error &&
        typeof error.message === 'string'
      )
        return `: ${error.message.slice(0, 300)}`;
      if (typeof error === 'string') return `: ${error.slice(0, 300)}`;
      if ('detail' in body && typeof body.detail === 'string')
        return `: ${body.detail.slice(0, 300)}`;
    }
  } catch {
    // not JSON: fall through
  }
  return text.trim() ? ` ("${snippet(text)}")` : '';
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
