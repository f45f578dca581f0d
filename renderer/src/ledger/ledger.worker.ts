/// <reference lib="webworker" />
import { openDb } from '../db/db';
import { LedgerCore } from './core';
import type { WorkerReply, WorkerRequest } from './protocol';

// Re-verifying and folding 100k entries takes seconds of CPU: here it never blocks the UI.
let core: LedgerCore | null = null;
let coreDb = '';
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const req = event.data;
  const reply = (r: WorkerReply): void => scope.postMessage(r);
  try {
    switch (req.op) {
      case 'load':
        // A reload (after the cache healed) reuses the open database.
        if (!core || coreDb !== req.dbName) core = new LedgerCore(openDb(req.dbName));
        coreDb = req.dbName;
        reply({ id: req.id, ok: true, value: await core.load(req.input) });
        break;
      case 'append':
        if (!core) throw new Error('ledger worker is not loaded');
        reply({ id: req.id, ok: true, value: core.append(req.entries, req.now) });
        break;
      case 'view':
        if (!core) throw new Error('ledger worker is not loaded');
        reply({ id: req.id, ok: true, value: core.view(req.now) });
        break;
    }
  } catch (error) {
    reply({
      id: req.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
