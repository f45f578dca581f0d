/** Where purchases report what an operator must know (refused payments, incidents). */
export interface PurchaseLog {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** JSON lines on stderr, like the server's own logs. */
export const stderrLog: PurchaseLog = {
  info: (message, data) => write('info', message, data),
  warn: (message, data) => write('warn', message, data),
  error: (message, data) => write('error', message, data),
};

function write(level: string, message: string, data?: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), component: 'purchases', msg: message, ...data })}\n`,
  );
}

/** A log that keeps what it is told (tests assert on it). */
export function memoryLog(): PurchaseLog & {
  lines: Array<{ level: string; message: string; data?: Record<string, unknown> }>;
} {
  const lines: Array<{ level: string; message: string; data?: Record<string, unknown> }> = [];
  return {
    lines,
    info: (message, data) => lines.push({ level: 'info', message, data }),
    warn: (message, data) => lines.push({ level: 'warn', message, data }),
    error: (message, data) => lines.push({ level: 'error', message, data }),
  };
}
