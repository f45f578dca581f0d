/**
 * ComfyUI's WebSocket (`/ws?clientId=…`), read the way its server writes it (server.py and
 * main.py of ComfyUI 0.3.64; protocol.py for the binary event types) and the way Krita's AI
 * Diffusion plugin reads it (ai_diffusion/backend/comfy_client.py): JSON text messages
 * `{type, data}` — `status`, `execution_start`, `execution_cached`, `executing` (node null: the
 * prompt is done), `progress` `{value, max, prompt_id, node}`, `executed`, `execution_success`,
 * `execution_error`, `execution_interrupted` — and binary frames: a big-endian uint32 event type,
 * then for PREVIEW_IMAGE (1) a uint32 image type (1 JPEG, 2 PNG) and the image, for
 * PREVIEW_IMAGE_WITH_METADATA (4) a uint32 length, that much JSON metadata and the image. The
 * server sends a prompt's progress and previews only to the socket of the client id the prompt
 * was queued with, so everything on this socket is ours.
 */
import WebSocket from 'ws';
import type { PreviewFrame } from '../errors';

export interface ComfyMessage {
  type: string;
  data: Record<string, unknown>;
}

export interface ComfySocketEvents {
  message(message: ComfyMessage): void;
  preview(frame: PreviewFrame, promptId: string | null): void;
  closed(): void;
}

/** Parses one binary frame; null for event types that carry no image. */
function parsePreviewFrame(
  buffer: Buffer,
): { frame: PreviewFrame; promptId: string | null } | null {
  if (buffer.length < 8) return null;
  const event = buffer.readUInt32BE(0);
  if (event === 1) {
    const type = buffer.readUInt32BE(4);
    const format = type === 2 ? 'png' : type === 1 ? 'jpeg' : null;
    return format
      ? { frame: { format, bytes: new Uint8Array(buffer.subarray(8)) }, promptId: null }
      : null;
  }
  if (event === 4) {
    const length = buffer.readUInt32BE(4);
    if (8 + length > buffer.length) return null;
    let meta: { prompt_id?: unknown; image_type?: unknown } = {};
    try {
      meta = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8')) as typeof meta;
    } catch {
      return null;
    }
    const format = meta.image_type === 'image/png' ? 'png' : 'jpeg';
    return {
      frame: { format, bytes: new Uint8Array(buffer.subarray(8 + length)) },
      promptId: typeof meta.prompt_id === 'string' ? meta.prompt_id : null,
    };
  }
  return null;
}

/** Opens the socket; resolves once it is open, rejects when it cannot be opened in time. */
export function openComfySocket(
  url: string,
  events: ComfySocketEvents,
  timeoutMs: number,
): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, maxPayload: 64 * 1024 * 1024 });
    let open = false;
    ws.on('open', () => {
      open = true;
      resolve({ close: () => ws.close() });
    });
    ws.on('error', (error) => {
      if (!open) reject(error);
    });
    ws.on('close', () => {
      if (!open) reject(new Error('the WebSocket closed before it opened'));
      else events.closed();
    });
    ws.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        const parsed = parsePreviewFrame(buffer);
        if (parsed) events.preview(parsed.frame, parsed.promptId);
        return;
      }
      try {
        const message = JSON.parse(buffer.toString('utf8')) as unknown;
        if (
          typeof message === 'object' &&
          message !== null &&
          'type' in message &&
          typeof message.type === 'string'
        ) {
          const data =
            'data' in message && typeof message.data === 'object' && message.data !== null
              ? (message.data as Record<string, unknown>)
              : {};
          events.message({ type: message.type, data });
        }
      } catch {
        // not JSON: ignore
      }
    });
  });
}
