import { EaselError, type IpcEnvelope } from '../../shared/ipc/contract';
import type { Logger } from '../../shared/log/logger';
import { log as mainLog } from './log';

/** Error codes main uses besides the server's own (which pass through unchanged). */
export type MainErrorCode =
  | 'invalid-params'
  | 'invalid-result'
  | 'untrusted-sender'
  | 'unknown-call'
  | 'not-signed-in'
  | 'offline'
  | 'timeout'
  | 'server-error'
  | 'bad-response'
  | 'verification-failed'
  | 'unverified-head'
  | 'allowance-exceeded'
  | 'allowance-expired'
  | 'no-allowance'
  | 'quote-changed'
  | 'not-available-offline'
  | 'device-state-unreadable'
  | 'device-state-locked'
  | 'device-state-closed'
  | 'device-key-unreadable'
  | 'allowance-unverified'
  | 'internal';

export const easelError = (code: MainErrorCode, message: string, details?: unknown) =>
  new EaselError(code, message, details);

/** Codes that mean a bug in main rather than an answer: they are logged with their stack. */
const BUGS = new Set(['internal', 'invalid-result']);

/**
 * Any thrown value as an envelope. Unexpected errors keep their message but not their stack,
 * which goes to the log instead, with every other sign of a bug in main.
 */
export function toErrorEnvelope(error: unknown, log: Logger = mainLog): IpcEnvelope {
  if (!(error instanceof EaselError) || BUGS.has(error.code))
    log.error({ err: error }, 'an IPC call failed unexpectedly');
  if (error instanceof EaselError) {
    return {
      ok: false,
      error: {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: { code: 'internal', message } };
}

export const isOfflineError = (error: unknown): boolean =>
  error instanceof EaselError && (error.code === 'offline' || error.code === 'timeout');
