import { EaselError, type IpcEnvelope } from '../../shared/ipc/contract';

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
  | 'device-key-unreadable'
  | 'allowance-unverified'
  | 'internal';

export const easelError = (code: MainErrorCode, message: string, details?: unknown) =>
  new EaselError(code, message, details);

/** Any thrown value as an envelope; unexpected errors keep their message but not their stack. */
export function toErrorEnvelope(error: unknown): IpcEnvelope {
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
