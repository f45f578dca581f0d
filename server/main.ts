import { readConfig } from './config';
import { startServer } from './start';

/** `npm run server`: the Easel server, on PGlite in EASEL_DATA_DIR unless DATABASE_URL is set. */
const config = readConfig();
const server = await startServer(config);
console.log(
  `Easel server listening on ${server.url} (${server.services.db.kind}${config.DATABASE_URL ? '' : ` in ${config.EASEL_DATA_DIR}`})`,
);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
