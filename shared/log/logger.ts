import { pino, type DestinationStream, type Logger } from 'pino';
import { z } from 'zod';

export type { Logger };

/** `EASEL_LOG`: structured JSON lines, or nothing at all. */
export const LogMode = z.enum(['json', 'off']);
export type LogMode = z.infer<typeof LogMode>;

/**
 * The one logger of Easel (pino), used by the server, its jobs and purchases, and the desktop
 * main process, so every component logs the same JSON lines and `EASEL_LOG=off` silences all
 * of them (docs/architecture.md §11). Each part takes a child with its `component` name.
 */
export function createLogger(
  mode: LogMode,
  options: { component?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      enabled: mode !== 'off',
      base: options.component ? { component: options.component } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** What a recording logger kept: each line as logged (pino's numeric level, `msg`, fields). */
export interface LoggedLine {
  level: number;
  msg?: string;
  component?: string;
  [field: string]: unknown;
}

/** A logger that keeps its lines in memory, for tests that assert on what was logged. */
export function recordingLogger(component?: string): { log: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const log = createLogger('json', {
    component,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LoggedLine) },
  });
  return { log, lines };
}

/** pino's numbers for the levels tests look for. */
export const LEVEL = { info: 30, warn: 40, error: 50 } as const;
