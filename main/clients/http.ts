import type { z } from 'zod';
import { ApiError } from '../../shared/api/common';
import { EaselError } from '../../shared/ipc/contract';
import { easelError } from '../core/errors';

export interface HttpClientOptions {
  baseUrl: () => string;
  token: () => Promise<string | null>;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Told whether the server was reachable, for online/offline detection. */
  onReachability?: (reachable: boolean) => void;
}

export interface RequestOptions<S extends z.ZodType> {
  schema: S;
  body?: unknown;
  /** Bytes sent as they are (e.g. an image upload) instead of a JSON body. */
  rawBody?: { contentType: string; data: Uint8Array<ArrayBuffer> };
  query?: Record<string, string | number>;
  auth?: boolean;
  timeoutMs?: number;
}

/**
 * The server's HTTP API as main sees it: time-outs, bearer auth, and every response checked
 * against its zod schema. Failures become EaselErrors: `offline` (unreachable), `timeout`,
 * `server-error` (5xx), `bad-response`, or the server's own code for a 4xx.
 */
export class HttpClient {
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly options: HttpClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  get baseUrl(): string {
    return this.options.baseUrl();
  }

  async json<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: RequestOptions<S>,
  ): Promise<z.output<S>> {
    const res = await this.send(method, path, opts);
    let json: unknown;
    try {
      json = await res.json();
    } catch (error) {
      throw this.bodyFailure(error, path);
    }
    const parsed = opts.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw easelError(
        'bad-response',
        `the server's answer to ${path} is not what the app expects (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`,
      );
    }
    return parsed.data;
  }

  async bytes(path: string, auth = true): Promise<{ mime: string; bytes: Buffer }> {
    const res = await this.send('GET', path, { auth });
    try {
      const bytes = Buffer.from(await res.arrayBuffer());
      return { mime: res.headers.get('content-type') ?? 'application/octet-stream', bytes };
    } catch (error) {
      throw this.bodyFailure(error, path);
    }
  }

  /**
   * A streaming GET (Server-Sent Events): the open response, whose body the caller reads until
   * it ends or `signal` aborts. No time-out beyond the connection itself.
   */
  async stream(
    path: string,
    signal: AbortSignal,
    opts: { auth?: boolean } = {},
  ): Promise<Response> {
    return this.send('GET', path, { accept: 'text/event-stream', signal, auth: opts.auth });
  }

  private async send(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      rawBody?: { contentType: string; data: Uint8Array<ArrayBuffer> };
      accept?: string;
      signal?: AbortSignal;
      query?: Record<string, string | number>;
      auth?: boolean;
      timeoutMs?: number;
    },
  ): Promise<Response> {
    const url = new URL(path, this.options.baseUrl());
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
    if (opts.rawBody) headers['content-type'] = opts.rawBody.contentType;
    else if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.auth !== false) {
      const token = await this.options.token();
      if (!token) throw easelError('not-signed-in', 'sign in first');
      headers.authorization = `Bearer ${token}`;
    }
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? 15_000;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers,
        body: opts.rawBody
          ? opts.rawBody.data
          : opts.body === undefined
            ? undefined
            : JSON.stringify(opts.body),
        signal: opts.signal ?? AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      this.options.onReachability?.(false);
      if (isTimeout(error))
        throw easelError('timeout', `the server did not answer ${path} within ${timeoutMs} ms`);
      throw easelError('offline', `cannot reach the server at ${url.origin}`);
    }
    this.options.onReachability?.(true);
    if (res.ok) return res;
    const text = await res.text().catch(() => ''); // no body: the status describes it below
    let apiError: ApiError['error'] | null = null;
    try {
      const parsed = ApiError.safeParse(JSON.parse(text));
      if (parsed.success) apiError = parsed.data.error;
    } catch {
      // not JSON: described below by status
    }
    if (res.status >= 500) {
      throw easelError(
        'server-error',
        apiError?.message ?? `the server failed (${res.status}); try again`,
        { status: res.status },
      );
    }
    throw new EaselError(
      apiError?.code ?? `http-${res.status}`,
      apiError?.message ?? `HTTP ${res.status}`,
      {
        status: res.status,
        ...(apiError?.details === undefined ? {} : { server: apiError.details }),
      },
    );
  }

  private bodyFailure(error: unknown, path: string): EaselError {
    // A connection cut while the body streams in is a network failure, not a bad server.
    if (isTimeout(error)) return easelError('timeout', `the answer to ${path} stopped arriving`);
    if (error instanceof SyntaxError)
      return easelError('bad-response', `the server's answer to ${path} is not JSON`);
    this.options.onReachability?.(false);
    return easelError('offline', `the connection dropped while reading ${path}`);
  }
}

const isTimeout = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
