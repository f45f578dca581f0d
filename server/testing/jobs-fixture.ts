import type { FastifyInstance } from 'fastify';
import { type StandIn, openaiImages, standIn } from '../jobs/stand-ins';
import { type Headers, type JobsTestServer, jobsTestServer, quoteFor } from '../jobs/test-kit';
import type { Backend } from './harness';

/** A jobs test server and the OpenAI-images stand-in it generates on; `close` closes both. */
export interface OpenaiJobsServer extends JobsTestServer {
  provider: StandIn;
}

/** Gives a jobs server whose generate engine is an OpenAI-images stand-in (docs/architecture.md §8, §12). */
export async function openaiJobsServer(
  backend: Backend,
  opts: { maxQueue: number; start?: string; timeoutMs?: number },
): Promise<OpenaiJobsServer> {
  const provider = await standIn(openaiImages);
  const s = await jobsTestServer(
    backend,
    {
      generate: {
        provider: {
          kind: 'openai',
          baseUrl: provider.baseUrl,
          apiKey: 'sk-test',
          ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        },
      },
      maxQueue: opts.maxQueue,
    },
    opts.start,
  );
  return {
    ...s,
    provider,
    async close() {
      await s.close();
      await provider.close();
    },
  };
}

/** Gives POST (optionally on another instance's app) and GET through `inject` on a suite's server. */
export function requests(server: () => JobsTestServer) {
  const post = (
    url: string,
    headers: Headers,
    payload?: unknown,
    app: FastifyInstance = server().app,
  ) =>
    app.inject({
      method: 'POST',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const get = (url: string, headers: Headers) =>
    server().app.inject({ method: 'GET', url, headers });
  return { post, get };
}

/** Gives the params of a small text-to-image run (64×64, 10 steps, seed 42) of `model`. */
export const smallRun = (count = 1, model = 'easel-preview') => ({
  mode: 'text-to-image',
  prompt: 'a red lighthouse at sunset',
  model,
  width: 64,
  height: 64,
  steps: 10,
  seed: 42,
  count,
});

/** Gives the quote a client computes for `smallRun(count, model)`. */
export const smallRunQuote = (s: JobsTestServer, count = 1, model = 'easel-preview') =>
  quoteFor(s, {
    tool: 'generate',
    mode: 'text-to-image',
    width: 64,
    height: 64,
    steps: 10,
    model,
    count,
  });
