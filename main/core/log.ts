import { createLogger, LogMode } from '../../shared/log/logger';

/**
 * The main process's logger: the same pino logger as the server's (shared/log), as component
 * `main`, honouring EASEL_LOG (docs/architecture.md §11). Parts may take children.
 */
export const log = createLogger(LogMode.catch('json').parse(process.env.EASEL_LOG)).child({
  component: 'main',
});
