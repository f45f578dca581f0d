import { join } from 'node:path';
import { createLogger } from '../shared/log/logger';
import { commands } from './admin/commands';
import { systemClock } from './clock';
import { readConfig } from './config';
import { migrate } from './db/migrations';
import { loadSigningKeys } from './keys';
import { createServices } from './services';
import { openDatabase } from './start';

/** `npm run admin -- <command> [--flags]`: operator commands against the configured database. */
const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(
    `usage: npm run admin -- <command>\n\n${Object.values(commands)
      .map((c) => `  ${c.usage}`)
      .join('\n')}`,
  );
  process.exit(name ? 2 : 0);
}
const config = readConfig();
const db = await openDatabase(config);
try {
  await migrate(db);
  const keys = loadSigningKeys(
    config.EASEL_SIGNING_KEYS,
    join(config.EASEL_DATA_DIR, 'signing-keys.json'),
  );
  const services = createServices({
    db,
    clock: systemClock,
    keys,
    log: createLogger(config.EASEL_LOG),
  });
  await services.catalog.seed();
  console.log(await command.run(services, args));
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
