import type { WireEntry } from '../../../shared/ledger/entry';
import type { LoadInput } from './core';

/** Messages to the ledger worker; each carries an id its reply echoes. */
export type WorkerRequest =
  | { id: number; op: 'load'; dbName: string; input: LoadInput }
  | { id: number; op: 'append'; entries: WireEntry[]; now: string }
  | { id: number; op: 'view'; now: string };

export type WorkerReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };
