/**
 * An API server process for `server-rss-bounded`: opens the database, makes one write to each
 * account it is given (16 at a time), and prints its memory as JSON. Input on stdin:
 * {"url": postgres url, "schema": name, "accountIds": [..]}.
 */
import { z } from 'zod';
import { systemClock } from '../server/clock';
import { openPostgres } from '../server/db/postgres';
import { keysFromSecrets } from '../server/keys';
import { createServices } from '../server/services';
import { createLogger } from '../shared/log/logger';
import { testServerKey } from '../shared/testing/ledger-fixture';

const Input = z.object({
  url: z.string(),
  schema: z.string(),
  accountIds: z.array(z.string()).min(1),
});
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = Input.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));

const db = await openPostgres(input.url, { schema: input.schema, max: 16 });
const services = createServices({
  db,
  clock: systemClock,
  keys: keysFromSecrets(testServerKey.secretKey),
  auth: { signupBonus: null },
  log: createLogger('off'),
});
const start = performance.now();
let next = 0;
let peak = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    for (let i = next++; i < input.accountIds.length; i = next++) {
      await services.ledger.grant(input.accountIds[i]!, {
        operationId: `rss-${i}`,
        amount: 10,
        source: 'promo',
        reason: 'bench',
      });
      if (i % 500 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
  }),
);
const seconds = (performance.now() - start) / 1000;
const memory = process.memoryUsage();
console.log(
  JSON.stringify({
    rss: memory.rss,
    peak: Math.max(peak, memory.rss),
    heapUsed: memory.heapUsed,
    cachedFolds: services.ledger.cachedFolds,
    seconds,
  }),
);
await db.close();
