import { EaselError } from '../../shared/ipc/contract';
import type { CallImpl } from './handlers';

/** A handler implementation for transport tests: answers getSession/getSettings, refuses the rest. */
export function stubImpl(): CallImpl {
  const refuse = async (): Promise<never> => {
    throw new EaselError('not-here', 'not implemented in the stub');
  };
  const impl: Record<string, unknown> = {};
  const handler = new Proxy(impl, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in target) return target[prop];
      return refuse;
    },
  });
  impl.getSession = async () => ({
    signedIn: false,
    accountId: null,
    email: null,
    deviceId: null,
    serverUrl: 'http://127.0.0.1:1',
    insecureStorage: true,
  });
  impl.getSettings = async () => ({
    serverUrl: 'not a url',
    allowanceAmount: 1,
    allowanceDays: 1,
    galleryDir: '',
  });
  return handler as unknown as CallImpl;
}
