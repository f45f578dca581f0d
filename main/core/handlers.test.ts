import { describe, expect, it } from 'vitest';
import { createHandlers, dispatch } from './handlers';
import { originPolicy } from './sender';
import { stubImpl } from './test-impl';

const trusted = { transport: 'electron' as const, origin: 'app://easel', authenticated: true };
const policy = originPolicy({ electron: ['app://easel'], browser: ['http://127.0.0.1:5000'] });

describe('the IPC handler table', () => {
  const table = createHandlers(stubImpl(), policy);

  it('answers a valid call from our window with an ok envelope', async () => {
    expect(await table.getSession({}, trusted)).toMatchObject({
      ok: true,
      value: { signedIn: false },
    });
  });

  it('refuses a payload that fails its schema, before the handler runs', async () => {
    const bad = await table.signIn({ email: 'not-an-email', password: '' }, trusted);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-params' } });
    const extra = await table.getSession({ sneaky: true }, trusted);
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid-params' } });
    const wrongType = await table.pullBatch({ after: { seq: -1, hash: 'x' } }, trusted);
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'invalid-params' } });
  });

  it('refuses calls from an unexpected sender', async () => {
    for (const sender of [
      { transport: 'electron' as const, origin: 'https://evil.example', authenticated: true },
      { transport: 'electron' as const, origin: null, authenticated: true },
      { transport: 'electron' as const, origin: 'app://easel', authenticated: false },
      { transport: 'browser' as const, origin: 'http://127.0.0.1:5000', authenticated: false },
      { transport: 'browser' as const, origin: 'https://evil.example', authenticated: true },
    ]) {
      expect(await table.getSession({}, sender)).toMatchObject({
        ok: false,
        error: { code: 'untrusted-sender' },
      });
    }
  });

  it('never sends a result outside the contract', async () => {
    expect(await table.getSettings({}, trusted)).toMatchObject({
      ok: false,
      error: { code: 'invalid-result' },
    });
  });

  it('turns thrown errors into envelopes and refuses unknown calls', async () => {
    expect(await table.listJobs({}, trusted)).toMatchObject({
      ok: false,
      error: { code: 'not-here' },
    });
    expect(await dispatch(table, 'invoke', {}, trusted)).toMatchObject({
      ok: false,
      error: { code: 'unknown-call' },
    });
    expect(await dispatch(table, '__proto__', {}, trusted)).toMatchObject({
      ok: false,
      error: { code: 'unknown-call' },
    });
  });
});
