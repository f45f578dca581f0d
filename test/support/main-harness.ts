import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EaselError, type EaselApi } from '../../shared/ipc/contract';
import type { WireEntry } from '../../shared/ledger/entry';
import { GENESIS, type ChainHead } from '../../shared/ledger/chain';
import { readConfig } from '../../server/config';
import { startServer } from '../../server/start';

/** A real server process on PGlite in a temporary folder. */
export async function startPgliteServer() {
  const dir = await mkdtemp(join(tmpdir(), 'easel-main-srv-'));
  const server = await startServer(
    readConfig({ EASEL_PORT: '0', EASEL_DATA_DIR: dir, EASEL_LOG: 'off' }),
  );
  return {
    ...server,
    dir,
    async stop() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), prefix));

/** What the renderer's IndexedDB does, in memory: entries + cursor, stored all or nothing. */
export class FakeRendererStore {
  head: ChainHead = GENESIS;
  entries: WireEntry[] = [];

  /** Pulls until caught up, storing each verified batch with its cursor. */
  async syncAll(easel: EaselApi, limit = 50): Promise<void> {
    for (;;) {
      const batch = await easel.pullBatch({ after: this.head, limit });
      const head = { seq: batch.checkpoint.checkpoint.seq, hash: batch.checkpoint.checkpoint.head };
      this.entries = [...this.entries, ...batch.entries];
      this.head = head;
      await easel.batchStored(head);
      if (head.seq >= batch.headSeq) return;
    }
  }
}

export async function expectEaselError(p: Promise<unknown>): Promise<EaselError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof EaselError) return error;
    throw error;
  }
  throw new Error('expected an EaselError');
}

/** Reads the browser host's SSE stream into a list (Node 20 has no EventSource). */
export function collectEvents(baseUrl: string, token: string) {
  const events: Array<{ event: string; data: unknown }> = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(`${baseUrl}/events?token=${encodeURIComponent(token)}`, {
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    if (!reader) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      buffer += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) as unknown });
      }
    }
  })().catch(() => undefined);
  return {
    events,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

export const waitFor = async (check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};
