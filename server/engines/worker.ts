/**
 * Entry of a pool worker thread: runs one engine task at a time and posts progress, the result
 * (with its byte arrays transferred) or the error. Models stay loaded between tasks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setCutoutThreads } from './cutout';
import { setUpscaleThreads } from './esrgan';
import {
  type CancelMessage,
  type RunMessage,
  type WorkerInit,
  serializeError,
  transferable,
} from './protocol';
import { type TaskKind, type TaskParams, isTaskKind, runTask } from './tasks';

const port = parentPort;
if (!port) throw new Error('server/engines/worker.ts must run as a worker thread.');

const init = workerData as WorkerInit | undefined;
if (init && init.threads > 0) setCutoutThreads(init.threads);
setUpscaleThreads(init?.upscaleThreads ?? init?.threads ?? 1);

function isCancelMessage(value: unknown): value is CancelMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    value.type === 'cancel' &&
    'id' in value &&
    typeof value.id === 'number'
  );
}

function isRunMessage(value: unknown): value is RunMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    value.type === 'run' &&
    'id' in value &&
    typeof value.id === 'number' &&
    'kind' in value &&
    isTaskKind(value.kind)
  );
}

const running = new Map<number, AbortController>();

port.on('message', (message: unknown) => {
  if (isCancelMessage(message)) {
    running.get(message.id)?.abort();
    return;
  }
  if (!isRunMessage(message)) return;
  const { id } = message;
  const controller = new AbortController();
  running.set(id, controller);
  let last = -1;
  const onProgress = (fraction: number): void => {
    // Skip repeats and tiny steps; always send the final 1.
    if (fraction < 1 && fraction - last < 0.005) return;
    last = fraction;
    port.postMessage({ type: 'progress', id, fraction });
  };
  runTask<TaskKind>(
    message.kind,
    message.input,
    message.params as TaskParams<TaskKind>,
    onProgress,
    controller.signal,
  )
    .then(
      (output) => {
        const { value, transfer } = transferable(output);
        port.postMessage({ type: 'done', id, output: value }, transfer);
      },
      (error: unknown) => {
        port.postMessage({ type: 'error', id, error: serializeError(error) });
      },
    )
    .finally(() => running.delete(id));
});
