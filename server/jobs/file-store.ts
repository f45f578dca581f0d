/**
 * Content-addressed files: each file is stored once under its SHA-256
 * (`<root>/<first two hex digits>/<sha256>`), written to a temporary name and renamed so a
 * reader never sees half a file. Who may read a file is decided by the database, not here.
 */
import { randomUUID, webcrypto } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SHA256 = /^[0-9a-f]{64}$/;

export const isSha256 = (value: string): boolean => SHA256.test(value);

export class FileStore {
  constructor(readonly root: string) {}

  pathOf(sha256: string): string {
    // The regex keeps every path inside the root.
    if (!isSha256(sha256)) throw new Error(`not a sha256: ${sha256.slice(0, 80)}`);
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  /** Stores `bytes` (once) and returns their SHA-256. */
  async put(bytes: Uint8Array): Promise<{ sha256: string; bytes: number }> {
    // WebCrypto hashes on the thread pool: a 25 MB upload does not stall the ledger's requests.
    const digest = await webcrypto.subtle.digest('SHA-256', bytes);
    const sha256 = Buffer.from(digest).toString('hex');
    const path = this.pathOf(sha256);
    // Not there (or unreadable): written below, and a write that fails throws.
    const existing = await stat(path).catch(() => null);
    if (existing?.size === bytes.byteLength) return { sha256, bytes: bytes.byteLength };
    await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
    const temporary = `${path}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    } catch (error) {
      // The temporary file may not exist; the write's own error is what is thrown.
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    return { sha256, bytes: bytes.byteLength };
  }

  async read(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  /** A stream of the file and its size, or null when it is not stored. */
  async open(sha256: string): Promise<{ stream: ReadStream; size: number } | null> {
    const path = this.pathOf(sha256);
    const info = await stat(path).catch(() => null); // missing: the caller answers 404
    if (!info?.isFile()) return null;
    return { stream: createReadStream(path), size: info.size };
  }
}
