/**
 * A load generator in its own process (clients are not the server): runs hold+capture pairs
 * over HTTP from N concurrent clients for S seconds and prints the pair count as JSON.
 * Input on stdin: {"base": url, "tokens": [..], "seconds": n, "prefix": "..."}.
 */
import { z } from 'zod';

const Input = z.object({
  base: z.string().url(),
  tokens: z.array(z.string()).min(1),
  seconds: z.number().positive(),
  prefix: z.string(),
  /** Where holds are made ('/v1/ledger/holds', or a team's '/v1/teams/<id>/holds'). */
  holdsPath: z.string().default('/v1/ledger/holds'),
  /** Fields added to each hold request (a team hold's projectId). */
  holdExtra: z.record(z.string(), z.unknown()).default({}),
});
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = Input.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));

const post = async (token: string, path: string, body: unknown) => {
  const res = await fetch(`${input.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { holdId: string };
};
const purpose = { kind: 'job', jobId: 'bench', tool: 'generate' };
const until = performance.now() + input.seconds * 1000;
const start = performance.now();
let pairs = 0;
await Promise.all(
  input.tokens.map(async (token, c) => {
    for (let i = 0; performance.now() < until; i++) {
      const h = await post(token, input.holdsPath, {
        operationId: `${input.prefix}-${c}-${i}-h`,
        amount: 6,
        purpose,
        ...input.holdExtra,
      });
      await post(token, `${input.holdsPath}/${h.holdId}/capture`, {
        operationId: `${input.prefix}-${c}-${i}-c`,
        amount: 6,
      });
      pairs++;
    }
  }),
);
console.log(JSON.stringify({ pairs, seconds: (performance.now() - start) / 1000 }));
