/**
 * A load generator in its own process (clients are not the server): runs hold+capture pairs
 * over HTTP from N concurrent clients for S seconds and prints the pair count and the
 * requests' latency percentiles as JSON. Input on stdin: {"base": url or [urls], "tokens": [..],
 * "seconds": n, "prefix": "...", "clients"?: n, "holdsPath"?: path, "holdExtra"?: {…}, "client"?: "http" | "fetch", "warmupSeconds"?: n}. Client c's pair i is made by account
 * (c + i × clients) mod accounts (clients defaults to one per token); with several bases, account k
 * always goes to base k mod n, as a load balancer with sticky sessions would send it.
 */
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';

const Input = z.object({
  base: z.union([z.string().url(), z.array(z.string().url()).min(1)]),
  tokens: z.array(z.string()).min(1),
  seconds: z.number().positive(),
  prefix: z.string(),
  clients: z.number().int().positive().optional(),
  /** Where holds are made ('/v1/ledger/holds', or a team's '/v1/teams/<id>/holds'). */
  holdsPath: z.string().default('/v1/ledger/holds'),
  /** Fields added to each hold request (a team hold's projectId). */
  holdExtra: z.record(z.string(), z.unknown()).default({}),
  /**
   * 'http' (default): node:http with one keep-alive connection per client, the lightest honest
   * client Node has; 'fetch': undici's fetch, which costs this process about twice the CPU per
   * request (docs/scaling.md) and so takes that much more of the cores the server shares.
   */
  client: z.enum(['http', 'fetch']).default('http'),
  /** Seconds of the same load before the timed window (reported apart as `coldP99`). */
  warmupSeconds: z.number().nonnegative().default(1),
});
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = Input.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));

const bases = typeof input.base === 'string' ? [input.base] : input.base;
const latencies: number[] = [];
const purpose = { kind: 'job', jobId: 'bench', tool: 'generate' };
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
/** One POST over a kept-alive connection; resolves with the status and the body text. */
const send = (url: URL, token: string, payload: string) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
const post = async (
  base: string,
  token: string,
  path: string,
  body: unknown,
  record = latencies,
) => {
  const t = performance.now();
  const payload = JSON.stringify(body);
  let status: number;
  let text: string;
  if (input.client === 'fetch') {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: payload,
    });
    status = res.status;
    text = await res.text();
  } else ({ status, text } = await send(new URL(`${base}${path}`), token, payload));
  if (status < 200 || status >= 300) throw new Error(`${path}: ${status} ${text}`);
  const json = JSON.parse(text) as { holdId: string };
  record.push(performance.now() - t);
  return json;
};
/** One client's pair: a hold, then its capture. */
const pair = async (base: string, token: string, operationPrefix: string, record = latencies) => {
  const h = await post(
    base,
    token,
    input.holdsPath,
    { operationId: `${operationPrefix}-h`, amount: 6, purpose, ...input.holdExtra },
    record,
  );
  await post(
    base,
    token,
    `${input.holdsPath}/${h.holdId}/capture`,
    { operationId: `${operationPrefix}-c`, amount: 6 },
    record,
  );
};
const clients = input.clients ?? input.tokens.length;
/** Every client runs pairs for `seconds`; the number of pairs made. */
async function run(seconds: number, prefix: string, record: number[]): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let made = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < until; i++) {
        const k = (c + i * clients) % input.tokens.length;
        const token = input.tokens[k]!;
        const base = bases[k % bases.length]!;
        await pair(base, token, `${prefix}-${c}-${i}`, record);
        made++;
      }
    }),
  );
  return made;
}
/**
 * The same load against the same server for `warmupSeconds` before the window: its requests
 * are real (the server's code, connections and first statements per backend warm up as in any
 * service that has run a while), and their latencies are reported apart as `coldP99`, not mixed
 * into the steady window's percentiles (docs/scaling.md, item 6).
 */
const coldLatencies: number[] = [];
if (input.warmupSeconds > 0) await run(input.warmupSeconds, `${input.prefix}-warm`, coldLatencies);
// This process's own event-loop delay in the window: near zero means its latencies are the
// server's, not time its answers waited for this loop.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const start = performance.now();
const cpuStart = process.cpuUsage();
const pairs = await run(input.seconds, input.prefix, latencies);
const seconds = (performance.now() - start) / 1000;
loopDelay.disable();
const percentile = (list: number[], p: number): number => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
};
const pct = (p: number) => percentile(latencies, p);
const cpu = process.cpuUsage(cpuStart);
// The generator's own CPU per second: near 1 means the clients, not the server, set the pace.
const cpuShare = (cpu.user + cpu.system) / 1e6 / seconds;
console.log(
  JSON.stringify({
    pairs,
    seconds,
    p50: pct(0.5),
    p99: pct(0.99),
    coldP99: percentile(coldLatencies, 0.99),
    cpuShare,
    loopDelayP99: loopDelay.percentile(99) / 1e6,
    loopDelayMax: loopDelay.max / 1e6,
  }),
);
