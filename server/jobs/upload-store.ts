/**
 * Accepting an upload: the bytes are checked from their header (format by magic bytes, size,
 * pixel count) before anything is stored; then stored content-addressed and recorded for the
 * account. Nothing touches the ledger.
 */
import { randomUUID } from 'node:crypto';
import type { UploadResponse } from '../../shared/api/jobs';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import {
  DEFAULT_IMAGE_LIMITS,
  type ImageInfo,
  ImageInputError,
  type ImageInputErrorCode,
  inspectImage,
} from '../engines/index';
import { HttpError } from '../http/errors';
import type { FileStore } from './file-store';
import { jobStore } from './job-store';

const statusOf: Record<ImageInputErrorCode, number> = {
  'not-an-image': 400,
  'unsupported-format': 415,
  'too-many-pixels': 422,
  'too-large': 413,
};

/** The largest image accepted: the engines' limit, or the price book's if lower. */
export const maxUploadPixels = (bookMaxPixels: number): number =>
  Math.min(DEFAULT_IMAGE_LIMITS.maxPixels, bookMaxPixels);

export async function acceptUpload(
  deps: { db: Database; clock: Clock; files: FileStore },
  accountId: string,
  bytes: Uint8Array,
  limits: { maxBytes: number; maxPixels: number },
): Promise<UploadResponse> {
  let info: ImageInfo;
  try {
    info = await inspectImage(bytes, limits);
  } catch (error) {
    if (error instanceof ImageInputError)
      throw new HttpError(statusOf[error.code], error.code, error.message);
    throw error;
  }
  const stored = await deps.files.put(bytes);
  const row = await jobStore.upload(deps.db, {
    id: `up_${randomUUID()}`,
    account_id: accountId,
    sha256: stored.sha256,
    format: info.format,
    width: info.width,
    height: info.height,
    bytes: stored.bytes,
    created_at: deps.clock.now(),
  });
  return {
    uploadId: row.id,
    sha256: row.sha256,
    format: row.format,
    width: row.width,
    height: row.height,
    bytes: row.bytes,
  };
}
