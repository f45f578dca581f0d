import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { easelError } from '../core/errors';
import { moveAside, replaceFileDurably } from './durable';

/**
 * A JSON file validated on read and replaced durably on write (a sibling written and fsynced,
 * renamed over, the folder fsynced), so a crash or a power loss leaves the old or the new
 * content, never half of either. A file that cannot be read or does not match its schema is
 * an error (`device-state-unreadable`), never a silent reset (docs/architecture.md §10).
 */
export class JsonFile<S extends z.ZodType> {
  constructor(
    readonly path: string,
    private readonly schema: S,
  ) {}

  /** The stored value, or null when the file is missing. */
  async read(): Promise<z.output<S> | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (isMissing(error)) return null;
      throw unreadable(this.path, error instanceof Error ? error.message : String(error));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw unreadable(this.path, 'it is not valid JSON');
    }
    const parsed = this.schema.safeParse(json);
    if (!parsed.success) throw unreadable(this.path, 'it does not match its schema');
    return parsed.data;
  }

  async write(value: z.input<S>, mode = 0o600): Promise<void> {
    const checked = this.schema.parse(value); // never persist what we could not read back
    await mkdir(dirname(this.path), { recursive: true });
    await replaceFileDurably(this.path, JSON.stringify(checked), mode);
  }

  /** Keeps an unreadable file for inspection and lets the next write start afresh. */
  async moveAside(): Promise<string | null> {
    try {
      return await moveAside(this.path);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }
}

const unreadable = (path: string, why: string) =>
  easelError('device-state-unreadable', `Easel could not read ${path}: ${why}.`, { path });

export const isMissing = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
