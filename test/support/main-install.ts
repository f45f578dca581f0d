import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EaselError,
  type IpcCall,
  type IpcParams,
  type IpcResult,
} from '../../shared/ipc/contract';
import { createLogger } from '../../shared/log/logger';
import { createCore } from '../../main/core/app-core';
import { createHandlers } from '../../main/core/handlers';
import { MemorySecretStore } from '../../main/secrets/secret-store';
import { JournalStore, type StoreTx } from '../../main/storage/journal-store';
import { startFaultProxy } from './main-fault-proxy';
import { tempDir, waitFor } from './main-harness';

/**
 * One desktop install that can be closed and opened again on the same data folder and
 * secrets (as a restart would), behind a proxy the test can cut (offline).
 */
export async function install(serverUrl: string, secrets = new MemorySecretStore()) {
  const proxy = await startFaultProxy(serverUrl);
  const dataDir = await tempDir('easel-install-');
  let now: Date | null = null;
  const open = async () => {
    const core = await createCore({
      dataDir,
      serverUrl: proxy.url,
      secrets,
      ledgerPollMs: 0,
      probeMs: 50,
      retry: { baseMs: 20, maxMs: 100 },
      log: createLogger('off'),
      now: () => now ?? new Date(),
    });
    const handlers = createHandlers(core.impl, () => true);
    const sender = { transport: 'browser' as const, origin: null, authenticated: true };
    const call = async <C extends IpcCall>(
      name: C,
      params: IpcParams<C>,
    ): Promise<IpcResult<C>> => {
      const env = await handlers[name](params, sender);
      if (!env.ok) throw new EaselError(env.error.code, env.error.message, env.error.details);
      return env.value as IpcResult<C>;
    };
    /** Waits until the outbox is empty (online). */
    const drained = () =>
      waitFor(async () => (await call('getSyncState', {})).pendingMutations === 0, 20_000);
    return { core, call, drained };
  };
  return {
    dataDir,
    secrets,
    proxy,
    open,
    setNow(at: Date | null) {
      now = at;
    },
    /** Edits main's device state as the device's owner could, with the app closed. */
    async editState(fn: (tx: StoreTx) => void) {
      const store = await JournalStore.open(join(dataDir, 'device-state'), {
        log: createLogger('off'),
      });
      await store.transaction(fn);
      await store.close();
    },
    async remove() {
      await proxy.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
export type Install = Awaited<ReturnType<typeof install>>;
export type OpenInstall = Awaited<ReturnType<Install['open']>>;

/** Gives one desktop install, opened once on a fresh data folder, behind a proxy the test can cut. */
export async function proxiedDevice(serverUrl: string, prefix: string, now?: () => Date) {
  const proxy = await startFaultProxy(serverUrl);
  const dataDir = await tempDir(prefix);
  const core = await createCore({
    dataDir,
    serverUrl: proxy.url,
    secrets: new MemorySecretStore(),
    ledgerPollMs: 0,
    probeMs: 50,
    retry: { baseMs: 20, maxMs: 100 },
    ...(now ? { now } : {}),
  });
  const handlers = createHandlers(core.impl, () => true);
  const sender = { transport: 'browser' as const, origin: null, authenticated: true };
  const call = async <C extends IpcCall>(name: C, params: IpcParams<C>): Promise<IpcResult<C>> => {
    const env = await handlers[name](params, sender);
    if (!env.ok) throw new EaselError(env.error.code, env.error.message, env.error.details);
    return env.value as IpcResult<C>;
  };
  return {
    core,
    call,
    proxy,
    async close() {
      await core.close();
      await proxy.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
