/**
 * Main's side of the embedded server's operator endpoint (/v1/operator/engine): loopback HTTP
 * with the per-launch secret in a header. Bodies may carry the engine key; nothing here logs
 * them, and failures are described without them.
 */
import type { z } from 'zod';
import {
  type EngineSettingsInput,
  EngineState,
  EngineTestResult,
  OPERATOR_HEADER,
} from '../../shared/api/engine';
import { easelError } from '../core/errors';

export interface OperatorClientOptions {
  serverUrl: () => string;
  secret: string;
  fetch?: typeof fetch;
  /** A test connection waits for the engine, so the time-out is generous (default 20 s). */
  timeoutMs?: number;
}

export class OperatorClient {
  constructor(private readonly options: OperatorClientOptions) {}

  state(): Promise<EngineState> {
    return this.call('GET', '/v1/operator/engine', undefined, EngineState);
  }

  apply(settings: EngineSettingsInput): Promise<EngineState> {
    return this.call('POST', '/v1/operator/engine', settings, EngineState);
  }

  test(settings: EngineSettingsInput): Promise<EngineTestResult> {
    return this.call('POST', '/v1/operator/engine/test', settings, EngineTestResult);
  }

  private async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: EngineSettingsInput | undefined,
    schema: S,
  ): Promise<z.output<S>> {
    const fetchImpl = this.options.fetch ?? fetch;
    let res: Response;
    try {
      res = await fetchImpl(new URL(path, this.options.serverUrl()), {
        method,
        headers: {
          [OPERATOR_HEADER]: this.options.secret,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 20_000),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw easelError(
        timedOut ? 'timeout' : 'offline',
        timedOut
          ? 'The embedded server did not answer in time; try again.'
          : 'The embedded server is not running; restart Easel.',
      );
    }
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const message =
        typeof json === 'object' && json !== null && 'error' in json
          ? String((json.error as { message?: unknown } | null)?.message ?? '')
          : '';
      throw easelError(
        res.status >= 500 ? 'server-error' : 'invalid-params',
        message
          ? `The embedded server refused the settings: ${message}.`
          : `The embedded server answered HTTP ${res.status}.`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw easelError(
        'bad-response',
        'The embedded server answered in a form this app does not know.',
      );
    return parsed.data;
  }
}
