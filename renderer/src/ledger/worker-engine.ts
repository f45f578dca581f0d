import type { WalletState } from '../../../shared/wallet/types';
import type { LoadResult, Verification } from './core';
import type { LedgerEngine } from './engine';
import type { WorkerReply, WorkerRequest } from './protocol';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

/** A LedgerEngine whose verification and fold run in a module Web Worker. */
export function workerEngine(dbName: string): LedgerEngine {
  const worker = new Worker(new URL('./ledger.worker.ts', import.meta.url), { type: 'module' });
  const pending = new Map<number, Pending>();
  let next = 1;
  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    const r = event.data;
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.ok) p.resolve(r.value);
    else p.reject(new Error(r.message));
  };
  const call = <T>(body: Body<WorkerRequest>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: (v) => resolve(v as T), reject });
      worker.postMessage({ ...body, id });
    });
  return {
    load: (input) => call<LoadResult>({ op: 'load', dbName, input }),
    append: (entries, now) =>
      call<{ state: WalletState; error: Verification | null }>({ op: 'append', entries, now }),
    view: (now) => call<WalletState>({ op: 'view', now }),
    close: () => worker.terminate(),
  };
}
