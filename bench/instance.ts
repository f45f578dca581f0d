/**
 * One API instance in its own process, for benchmarks with several instances over one
 * PostgreSQL (`server-holds-pg-4x`). Input on stdin: {"url": postgres url, "schema": name}.
 * Prints {"base": url} once listening; exits when its stdin closes.
 */
import { z } from 'zod';
import { createLogger } from '../shared/log/logger';
import { testServerKey } from '../shared/testing/ledger-fixture';
import { systemClock } from '../server/clock';
import { openPostgres } from '../server/db/postgres';
import { buildApp } from '../server/http/app';
import { keysFromSecrets } from '../server/keys';
import { createServices } from '../server/services';

const Input = z.object({ url: z.string(), schema: z.string(), max: z.number().int().positive() });
const line = await new Promise<string>((resolve) => {
  let text = '';
  process.stdin.on('data', (d: Buffer) => {
    text += d.toString();
    if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
  });
});
const input = Input.parse(JSON.parse(line));
const db = await openPostgres(input.url, { schema: input.schema, max: input.max });
const services = createServices({
  db,
  clock: systemClock,
  keys: keysFromSecrets(testServerKey.secretKey),
  auth: { signupBonus: null },
  log: createLogger('off'),
});
const app = buildApp(services);
const base = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ base }));
process.stdin.on('end', () => {
  void app.close().then(() => db.close());
});
