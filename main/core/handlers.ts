import type { z } from 'zod';
import {
  type IpcCall,
  type IpcEnvelope,
  type IpcResult,
  ipcCallNames,
  ipcCalls,
} from '../../shared/ipc/contract';
import { easelError, toErrorEnvelope } from './errors';
import type { IpcSender, SenderPolicy } from './sender';

type ParsedParams<C extends IpcCall> = z.output<(typeof ipcCalls)[C]['params']>;

/** What each call does, given params that already passed their schema. */
export type CallImpl = {
  [C in IpcCall]: (params: ParsedParams<C>, sender: IpcSender) => Promise<IpcResult<C>>;
};

type Handler = (params: unknown, sender: IpcSender) => Promise<IpcEnvelope>;
export type HandlerTable = Readonly<Record<IpcCall, Handler>>;

/**
 * The one handler table both transports serve. Every call checks its sender, validates its
 * params against the contract, runs, and validates its own result (a bad result is a bug in
 * main and is never sent). Errors come back as envelopes, never as throws.
 */
export function createHandlers(impl: CallImpl, policy: SenderPolicy): HandlerTable {
  const table = {} as Record<IpcCall, Handler>;
  for (const call of ipcCallNames) {
    const spec = ipcCalls[call];
    const run = impl[call] as unknown as (p: unknown, s: IpcSender) => Promise<unknown>;
    table[call] = async (params, sender) => {
      try {
        if (!policy(sender)) {
          throw easelError(
            'untrusted-sender',
            `refused ${call}: the caller is not this app's window`,
          );
        }
        const parsed = spec.params.safeParse(params ?? {});
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw easelError(
            'invalid-params',
            `${call}: ${issue ? `${issue.path.join('.') || 'params'}: ${issue.message}` : 'invalid params'}`,
          );
        }
        const value = await run(parsed.data, sender);
        const result = spec.result.safeParse(value);
        if (!result.success) {
          throw easelError('invalid-result', `${call} produced a result outside the contract`);
        }
        return { ok: true, value: result.data };
      } catch (error) {
        return toErrorEnvelope(error);
      }
    };
  }
  return table;
}

const isCall = (name: string): name is IpcCall => Object.hasOwn(ipcCalls, name);

/** Dispatch by name, for transports that receive the call name as data (browser mode). */
export async function dispatch(
  table: HandlerTable,
  name: string,
  params: unknown,
  sender: IpcSender,
): Promise<IpcEnvelope> {
  if (!isCall(name)) return toErrorEnvelope(easelError('unknown-call', `no IPC call "${name}"`));
  return table[name](params, sender);
}
