import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/log/logger';
import { easelError } from '../core/errors';
import { noSteps, type StepHook } from '../core/steps';
import { isMissing } from './json-file';
import { replaceFileDurably, syncFolder } from './durable';
import { releaseLock, takeLock } from './lock';

/** What a transaction sees and changes: its own staged writes are visible to it. */
export interface StoreTx {
  get(key: string): unknown;
  /** Keys that start with `prefix`, sorted. */
  keys(prefix: string): string[];
  put(key: string, value: unknown): void;
  delete(key: string): void;
}

export interface JournalStoreOptions {
  log: Logger;
  /** Rewrite the snapshot once the journal passes this size (bytes). */
  compactBytes?: number;
  /** Crash-point tests stop the process at named steps (docs/architecture.md §12). */
  onStep?: StepHook;
  /**
   * Open what can be proven intact instead of refusing a damaged store: the snapshot and the
   * journal's commits up to the first damaged one, each commit all or nothing. Only the
   * user's "re-sync from the server" asks for this (docs/architecture.md §10).
   */
  salvage?: boolean;
}

/** Set when the store was opened from less than everything on disk. */
export interface Salvage {
  keptCommits: number;
  droppedFromByte: number;
}

interface Commit {
  seq: number;
  put: Record<string, unknown>;
  del: string[];
}

const SNAPSHOT = 'snapshot.json';
const JOURNAL = 'journal.log';
/** The journal is grown this much at a time, zero-filled ahead of the commits written into it. */
const GROW_BYTES = 1_048_576;
const DELETED = Symbol('deleted');

const digest = (text: string) => createHash('sha256').update(text).digest('hex');
const line = (json: string) => `${digest(json)} ${json}\n`;

/** Splits `<sha256> <json>`; null when the checksum does not match (a changed byte). */
function checked(text: string): unknown {
  const at = text.indexOf(' ');
  if (at !== 64) return null;
  const json = text.slice(65);
  if (digest(json) !== text.slice(0, 64)) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function asCommit(v: unknown): Commit | null {
  if (!isRecord(v) || typeof v.seq !== 'number' || !isRecord(v.put) || !Array.isArray(v.del))
    return null;
  if (!v.del.every((k) => typeof k === 'string')) return null;
  return { seq: v.seq, put: v.put, del: v.del as string[] };
}

/**
 * Main's device state (docs/architecture.md §10): JSON records in memory, made durable by a
 * write-ahead journal. A transaction's writes become one journal line — checksummed, written,
 * fdatasync'd — before the transaction resolves, so records written together (a voucher, its
 * counter and its outbox entry) survive a crash or a power loss together or not at all. The
 * journal file is zero-filled ahead of the commits (a megabyte at a time), so a commit's
 * fdatasync flushes only its data, not a new file size. The journal is folded into a snapshot
 * (written aside, fsynced, renamed, folder fsynced) when it grows. A line cut short at the end
 * is a commit that never finished and is dropped; any other damage is an error, never a
 * silent reset.
 */
export class JournalStore {
  private records = new Map<string, unknown>();
  private seq = 0;
  /** Where the next commit goes in the journal, and how far the file is zero-filled. */
  private writeAt = 0;
  private allocated = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private broken: Error | null = null;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly journal: FileHandle,
    private readonly options: JournalStoreOptions,
    readonly salvaged: Salvage | null,
  ) {}

  static async open(dir: string, options: JournalStoreOptions): Promise<JournalStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await takeLock(dir);
    try {
      const { records, seq, writeAt, salvaged } = await load(dir, options);
      const path = join(dir, JOURNAL);
      // Positional writes (not O_APPEND): commits go into the zero-filled space ahead.
      const journal = await open(path, 'r+').catch((error: unknown) => {
        if (!isMissing(error)) throw error;
        return open(path, 'w+', 0o600);
      });
      await syncFolder(dir); // the journal's name is durable before anything relies on it
      const store = new JournalStore(dir, journal, options, salvaged);
      store.records = records;
      store.seq = seq;
      store.writeAt = writeAt;
      store.allocated = (await journal.stat()).size;
      if (salvaged) await store.enqueue(() => store.compact()); // start clean from what was kept
      return store;
    } catch (error) {
      await releaseLock(dir);
      throw error;
    }
  }

  get(key: string): unknown {
    const value = this.records.get(key);
    return value === undefined ? undefined : structuredClone(value);
  }

  keys(prefix: string): string[] {
    return [...this.records.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /**
   * Runs `fn` alone against the current records and commits what it staged atomically and
   * durably before resolving. `fn` must not wait on the network: every other writer waits.
   */
  transaction<T>(fn: (tx: StoreTx) => T | Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      if (this.broken) throw this.broken;
      if (this.closed) throw easelError('internal', 'the device state store is closed');
      const staged = new Map<string, unknown>();
      const tx: StoreTx = {
        get: (key) => {
          const value = staged.has(key) ? staged.get(key) : this.records.get(key);
          return value === DELETED || value === undefined ? undefined : structuredClone(value);
        },
        keys: (prefix) => {
          const all = new Set([...this.records.keys(), ...staged.keys()]);
          const live = (k: string) =>
            staged.has(k) ? staged.get(k) !== DELETED : this.records.has(k);
          return [...all].filter((k) => k.startsWith(prefix) && live(k)).sort();
        },
        put: (key, value) => void staged.set(key, structuredClone(value)),
        delete: (key) => void staged.set(key, DELETED),
      };
      const result = await fn(tx);
      if (staged.size > 0) await this.commit(staged);
      return result;
    });
  }

  async close(): Promise<void> {
    await this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.journal.close();
      await releaseLock(this.dir);
    });
  }

  private async commit(staged: Map<string, unknown>): Promise<void> {
    const put: Record<string, unknown> = {};
    const del: string[] = [];
    for (const [key, value] of staged) {
      if (value === DELETED) del.push(key);
      else put[key] = value;
    }
    const bytes = Buffer.from(
      line(JSON.stringify({ seq: this.seq + 1, put, del } satisfies Commit)),
    );
    try {
      if (this.writeAt + bytes.length > this.allocated) await this.grow(bytes.length);
      await this.journal.write(bytes, 0, bytes.length, this.writeAt);
      await this.journal.datasync();
    } catch (error) {
      // Whether the line reached the disk is unknown now: refuse further writes until the
      // app restarts and reads back what is really there.
      this.broken = easelError(
        'device-state-unreadable',
        `Easel could not save its device state in ${this.dir}: ${error instanceof Error ? error.message : String(error)}. Restart Easel.`,
        { path: this.dir },
      );
      this.options.log.error({ err: error, dir: this.dir }, 'device state commit failed');
      throw this.broken;
    }
    this.seq++;
    this.writeAt += bytes.length;
    for (const [key, value] of staged) {
      if (value === DELETED) this.records.delete(key);
      else this.records.set(key, value);
    }
    if (this.writeAt > (this.options.compactBytes ?? 1_048_576)) await this.compact();
  }

  /** Zero-fills the journal further ahead and makes its new size durable (once a megabyte). */
  private async grow(atLeast: number): Promise<void> {
    const more = Math.max(GROW_BYTES, atLeast);
    await this.journal.write(Buffer.alloc(more), 0, more, this.allocated);
    await this.journal.sync();
    this.allocated += more;
  }

  /** Folds the journal into a new snapshot; a crash in between replays nothing twice. */
  private async compact(): Promise<void> {
    const body = JSON.stringify({
      format: 1,
      seq: this.seq,
      records: Object.fromEntries(this.records),
    });
    await replaceFileDurably(join(this.dir, SNAPSHOT), line(body));
    await (this.options.onStep ?? noSteps)('store:compacting');
    await this.journal.truncate(0);
    await this.journal.sync();
    this.writeAt = 0;
    this.allocated = 0;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

const damaged = (path: string, why: string) =>
  easelError(
    'device-state-unreadable',
    `Easel's device state in ${path} is damaged (${why}). Re-sync from the server to rebuild it; the damaged file is kept.`,
    { path },
  );

async function readBytes(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isMissing(error)) return null;
    throw damaged(path, error instanceof Error ? error.message : String(error));
  }
}

async function load(dir: string, options: JournalStoreOptions) {
  const records = new Map<string, unknown>();
  let seq = 0;
  let salvaged: Salvage | null = null;
  const snapshotPath = join(dir, SNAPSHOT);
  const snapshotBytes = await readBytes(snapshotPath);
  if (snapshotBytes !== null) {
    const snap = checked(snapshotBytes.toString('utf8').replace(/\n$/, ''));
    if (
      !isRecord(snap) ||
      snap.format !== 1 ||
      typeof snap.seq !== 'number' ||
      !isRecord(snap.records)
    ) {
      if (!options.salvage) throw damaged(snapshotPath, 'the snapshot fails its checksum');
      // Nothing after a damaged snapshot can be trusted to apply: start from nothing.
      await rename(snapshotPath, `${snapshotPath}.unreadable-${Date.now()}`);
      await rename(join(dir, JOURNAL), join(dir, `${JOURNAL}.unreadable-${Date.now()}`)).catch(
        (error: unknown) => {
          if (!isMissing(error)) throw error;
        },
      );
      return { records, seq: 0, writeAt: 0, salvaged: { keptCommits: 0, droppedFromByte: 0 } };
    }
    seq = snap.seq;
    for (const [k, v] of Object.entries(snap.records)) records.set(k, v);
  }

  const journalPath = join(dir, JOURNAL);
  const bytes = (await readBytes(journalPath)) ?? Buffer.alloc(0);
  let at = 0;
  let kept = 0;
  // Commits are lines; the zero-filled space ahead of them starts with a zero byte.
  while (at < bytes.length && bytes[at] !== 0) {
    const end = bytes.indexOf(0x0a, at);
    const text = end < 0 ? null : bytes.subarray(at, end);
    // No line end, or zeros inside: a commit whose write never finished (the end of the file).
    if (!text || text.includes(0)) break;
    const commit = asCommit(checked(text.toString('utf8')));
    const valid = commit !== null && (commit.seq <= seq || commit.seq === seq + 1);
    if (!valid || !commit) {
      if (!options.salvage)
        throw damaged(journalPath, `commit at byte ${at} fails its checksum or is out of order`);
      salvaged = { keptCommits: kept, droppedFromByte: at };
      await rename(journalPath, `${journalPath}.unreadable-${Date.now()}`);
      return { records, seq, writeAt: 0, salvaged };
    }
    at = end + 1;
    if (commit.seq <= seq) continue; // already in the snapshot (a crash before the truncate)
    seq = commit.seq;
    kept++;
    for (const [k, v] of Object.entries(commit.put)) records.set(k, v);
    for (const k of commit.del) records.delete(k);
  }
  if (bytes.subarray(at).some((b) => b !== 0)) {
    // A commit cut short by a crash: it never resolved, so nobody relied on it.
    options.log.warn(
      { path: journalPath, at },
      'dropping an unfinished commit at the end of the device state journal',
    );
    const handle = await open(journalPath, 'r+');
    try {
      await handle.truncate(at);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return { records, seq, writeAt: at, salvaged };
}
