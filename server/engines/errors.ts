/**
 * Errors shared by the engines and the pool. Every error an engine or the pool throws on purpose
 * has a `code` that callers (the jobs API) can map to a user-facing message and a ledger action
 * (a failed job releases its hold).
 */

/** Thrown when a task is cancelled through its AbortSignal. `name` is 'AbortError' like DOM's. */
export class EngineAbortError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'aborted';
  constructor(message = 'The task was cancelled') {
    super(message);
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Throws EngineAbortError when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineAbortError();
}

export type EngineErrorCode = 'bad-params' | 'too-many-pixels' | 'model-missing' | 'engine-failed';

/** An engine refused its parameters or failed while running. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A look at the image while it is being made (a sampler's latent preview, a provider's frame). */
export interface PreviewFrame {
  format: 'png' | 'jpeg' | 'webp';
  bytes: Uint8Array;
}

/** What an engine can say besides the fraction: what it is doing, how long is left, a preview. */
export interface ProgressDetail {
  /** A short phrase for the user: "Sampling step 12 of 30". */
  stage?: string;
  /** Estimated seconds until the engine finishes. */
  etaSeconds?: number;
  preview?: PreviewFrame;
}

/**
 * Reports progress as a fraction 0..1 (non-decreasing), optionally with what the engine is doing
 * and a preview of the image.
 */
export type ProgressFn = (fraction: number, detail?: ProgressDetail) => void;

export const noProgress: ProgressFn = () => {};

/** Clamps to 0..1 so a caller never sees a fraction outside the range. */
export function clampFraction(fraction: number): number {
  if (!Number.isFinite(fraction)) return 0;
  return Math.min(1, Math.max(0, fraction));
}
