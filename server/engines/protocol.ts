/**
 * Messages between the pool (main thread) and its workers, and the helpers both sides use to
 * move byte arrays as transferables and errors as plain data.
 */
import {
  EngineAbortError,
  EngineError,
  type EngineErrorCode,
  type PreviewFrame,
  type ProgressDetail,
} from './errors';
import { ProviderError, type ProviderErrorCode } from './generate/types';
import { ImageInputError, type ImageInputErrorCode } from './image-input';
import type { TaskKind } from './tasks';

export interface RunMessage {
  type: 'run';
  id: number;
  kind: TaskKind;
  input: Uint8Array | null;
  params: unknown;
}

/** Asks the worker to abort task `id`; it answers with the task's 'error' (AbortError). */
export interface CancelMessage {
  type: 'cancel';
  id: number;
}

export type WorkerMessage =
  | {
      type: 'progress';
      id: number;
      fraction: number;
      stage?: string;
      etaSeconds?: number;
      preview?: PreviewFrame;
    }
  | { type: 'done'; id: number; output: unknown }
  | { type: 'error'; id: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  status?: number;
}

export interface WorkerInit {
  /** Threads the worker's cutout (onnxruntime) may use. */
  threads: number;
  /** Threads one upscale may use: its tiles' layers are split across them (default: threads). */
  upscaleThreads?: number;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const out: SerializedError = { name: error.name, message: error.message };
    const code: unknown = 'code' in error ? error.code : undefined;
    if (typeof code === 'string') out.code = code;
    const status: unknown = 'status' in error ? error.status : undefined;
    if (typeof status === 'number') out.status = status;
    return out;
  }
  return { name: 'Error', message: String(error) };
}

/** Rebuilds the error classes callers test with instanceof; anything else is engine-failed. */
export function reviveError(e: SerializedError): Error {
  switch (e.name) {
    case 'AbortError':
      return new EngineAbortError(e.message);
    case 'ImageInputError':
      return new ImageInputError(e.code as ImageInputErrorCode, e.message);
    case 'ProviderError':
      return new ProviderError(e.code as ProviderErrorCode, e.message, e.status);
    case 'EngineError':
      return new EngineError(e.code as EngineErrorCode, e.message);
    default:
      return new EngineError('engine-failed', `${e.name}: ${e.message}`);
  }
}

/**
 * Returns `value` with every Uint8Array made transferable (owning its whole ArrayBuffer, copied
 * when it is a view into a larger or shared buffer) and the list of buffers to transfer.
 */
export function transferable<T>(value: T): { value: T; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const seen = new Set<ArrayBuffer>();
  const walk = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      let bytes: Uint8Array = v;
      const whole =
        v.byteOffset === 0 &&
        v.buffer instanceof ArrayBuffer &&
        v.byteLength === v.buffer.byteLength;
      if (!whole || seen.has(v.buffer as ArrayBuffer)) bytes = new Uint8Array(v);
      const buffer = bytes.buffer as ArrayBuffer;
      seen.add(buffer);
      transfer.push(buffer);
      return bytes;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return { value: walk(value) as T, transfer };
}

/** The detail of a progress message, keeping only well-formed fields. */
export function progressDetailOf(message: {
  stage?: unknown;
  etaSeconds?: unknown;
  preview?: unknown;
}): ProgressDetail | undefined {
  const detail: ProgressDetail = {};
  if (typeof message.stage === 'string') detail.stage = message.stage.slice(0, 120);
  if (
    typeof message.etaSeconds === 'number' &&
    Number.isFinite(message.etaSeconds) &&
    message.etaSeconds >= 0
  )
    detail.etaSeconds = message.etaSeconds;
  const preview = message.preview;
  if (
    typeof preview === 'object' &&
    preview !== null &&
    'format' in preview &&
    (preview.format === 'png' || preview.format === 'jpeg' || preview.format === 'webp') &&
    'bytes' in preview &&
    preview.bytes instanceof Uint8Array
  )
    detail.preview = { format: preview.format, bytes: preview.bytes };
  return Object.keys(detail).length > 0 ? detail : undefined;
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (
    typeof value !== 'object' ||
    value === null ||
    !('type' in value) ||
    !('id' in value) ||
    typeof value.id !== 'number'
  )
    return false;
  switch (value.type) {
    case 'progress':
      return 'fraction' in value && typeof value.fraction === 'number';
    case 'done':
      return 'output' in value;
    case 'error':
      return 'error' in value && typeof value.error === 'object' && value.error !== null;
    default:
      return false;
  }
}
