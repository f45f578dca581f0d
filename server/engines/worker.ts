/**
 * Entry of a pool worker thread: runs one engine task at a time and posts progress, the result
 * (with its byte arrays transferred) or the error. Models stay loaded between tasks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { setCutoutThreads } from './cutout';
import type { ProgressDetail } from './errors';
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

/** A preview frame as a JPEG of at most 256 px a side (a few kB), whatever the engine sent. */
async function smallPreview(bytes: Uint8Array): Promise<Uint8Array> {
  const out = await sharp(bytes, { limitInputPixels: 50_000_000 })
    .resize(256, 256, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 70 })
    .toBuffer();
  return new Uint8Array(out);
}

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
  let lastStage: string | undefined;
  let lastPreviewAt = 0;
  const onProgress = (fraction: number, detail?: ProgressDetail): void => {
    const stage = detail?.stage;
    const changed = stage !== undefined && stage !== lastStage;
    // Skip repeats and tiny steps unless the stage changed; always send the final 1.
    if (fraction < 1 && fraction - last < 0.005 && !changed && !detail?.preview) return;
    if (detail?.preview) {
      // A few previews a second are plenty; each is made small before it crosses threads.
      if (Date.now() - lastPreviewAt < 250) {
        if (fraction < 1 && fraction - last < 0.005 && !changed) return;
      } else {
        lastPreviewAt = Date.now();
        const preview = detail.preview;
        void smallPreview(preview.bytes).then(
          (bytes) =>
            port.postMessage(
              { type: 'progress', id, fraction, preview: { format: 'jpeg', bytes } },
              [bytes.buffer as ArrayBuffer],
            ),
          () => undefined,
        );
      }
    }
    last = Math.max(last, fraction);
    if (stage !== undefined) lastStage = stage;
    port.postMessage({
      type: 'progress',
      id,
      fraction,
      ...(stage !== undefined ? { stage } : {}),
      ...(detail?.etaSeconds !== undefined ? { etaSeconds: detail.etaSeconds } : {}),
    });
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
