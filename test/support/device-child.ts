/**
 * A desktop install's main-side code (createCore, the real device state on disk, a file
 * secret store) in its own process, driven by the crash-point tests (test/main-crash.test.ts).
 * It prints what it does, one line each; at the step named by EASEL_CRASH_AT it prints
 * `STEP <name>` and waits there to be killed (SIGKILL) by the test.
 *
 * EASEL_CHILD_PHASE: `setup` (sign up or in, cache the catalog, take an allowance), `spend`
 * (redeem EASEL_CHILD_SPENDS designs offline) or `sync` (send everything queued and report).
 */
import {
  EaselError,
  type IpcCall,
  type IpcParams,
  type IpcResult,
} from '../../shared/ipc/contract';
import { createLogger } from '../../shared/log/logger';
import { createCore } from '../../main/core/app-core';
import { createHandlers } from '../../main/core/handlers';
import type { Step } from '../../main/core/steps';
import { PlainFileSecretStore } from '../../main/secrets/file-store';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const say = (line: string) => process.stdout.write(`${line}\n`);

const crashAt = process.env.EASEL_CRASH_AT ?? null;
const dataDir = env('EASEL_CHILD_DATA');
const core = await createCore({
  dataDir,
  serverUrl: env('EASEL_CHILD_SERVER'),
  secrets: new PlainFileSecretStore(dataDir),
  ledgerPollMs: 0,
  probeMs: 50,
  retry: { baseMs: 20, maxMs: 100 },
  log: createLogger('off'),
  storeCompactBytes: 2500,
  onStep: async (step: Step) => {
    if (step !== crashAt) return;
    say(`STEP ${step}`);
    await new Promise(() => undefined); // the test kills us here
  },
});
const handlers = createHandlers(core.impl, () => true);
const sender = { transport: 'browser' as const, origin: null, authenticated: true };
const call = async <C extends IpcCall>(name: C, params: IpcParams<C>): Promise<IpcResult<C>> => {
  const envelope = await handlers[name](params, sender);
  if (!envelope.ok)
    throw new EaselError(envelope.error.code, envelope.error.message, envelope.error.details);
  return envelope.value as IpcResult<C>;
};

const phase = env('EASEL_CHILD_PHASE');
if (phase === 'setup') {
  const credentials = { email: env('EASEL_CHILD_EMAIL'), password: 'correct horse battery' };
  const session = await call('getSession', {});
  const signed = session.signedIn
    ? session
    : await call('signUp', credentials).catch(() => call('signIn', credentials));
  await call('getPriceBook', {});
  await call('listDesigns', {});
  const allowance = await call('takeAllowance', { amount: 200, days: 1 });
  say(`READY ${signed.accountId} ${allowance.allowanceId} ${String(allowance.verified)}`);
} else if (phase === 'spend') {
  const book = await call('getPriceBook', {});
  const design = (await call('listDesigns', {})).find((d) => d.designId === 'design-confetti');
  if (!design) throw new Error('design-confetti is not cached');
  for (let i = 0; i < Number(env('EASEL_CHILD_SPENDS')); i++) {
    try {
      const r = await call('redeemDesign', {
        designId: design.designId,
        expectedCredits: design.credits,
        priceBookVersion: book.book.version,
      });
      say(`SPENT ${r.mode} ${String(r.voucherCounter)}`);
    } catch (error) {
      say(`REFUSED ${error instanceof EaselError ? error.code : String(error)}`);
    }
  }
} else if (phase === 'sync') {
  const until = Date.now() + 30_000;
  for (;;) {
    await call('syncNow', {}).catch(() => undefined);
    if ((await call('getSyncState', {})).pendingMutations === 0) break;
    if (Date.now() > until) throw new Error('the outbox did not drain');
    await new Promise((r) => setTimeout(r, 50));
  }
  const state = await call('getAllowance', {});
  say(`ALLOWANCE ${JSON.stringify(state)}`);
}
await core.close();
say('DONE');
process.exit(0);
