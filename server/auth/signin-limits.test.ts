import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE } from '../clock';
import { type TestServer, backends, signUp, testServer } from '../testing/harness';

/**
 * Sign-in attempts are recorded before they are judged, limited per email from each address
 * and per address overall, and pruned (server/auth/auth-service.ts, docs/architecture.md §11).
 */
describe.each(backends)('sign-in limits on %s', (backend) => {
  let t: TestServer;
  let unlimited: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, { app: { authRateLimit: { max: 30, timeWindowMs: 60_000 } } });
    // Without the per-address request limit, to reach the per-email attempt limit alone.
    unlimited = await testServer(backend, { app: { authRateLimit: false } });
  });
  afterAll(async () => {
    await t.close();
    await unlimited.close();
  });

  const signIn = (s: TestServer, email: string, password: string, remoteAddress = '127.0.0.1') =>
    s.app.inject({
      method: 'POST',
      url: '/v1/auth/signin',
      payload: { email, password },
      remoteAddress,
    });

  it('40 parallel wrong guesses and then the right password: no sign-in', async () => {
    const u = await signUp(unlimited.app);
    const wrong = Array.from({ length: 40 }, (_, i) =>
      signIn(unlimited, u.email, `wrong guess number ${i}`),
    );
    const right = signIn(unlimited, u.email, 'correct horse battery');
    const codes = (await Promise.all([...wrong, right])).map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(36);
    expect(codes.at(-1)).toBe(429);
    expect(codes).not.toContain(200);
  });

  it("a guesser locks out only their own address, not the account's owner", async () => {
    const u = await signUp(unlimited.app);
    const attacker = [];
    for (let i = 0; i < 7; i++)
      attacker.push((await signIn(unlimited, u.email, 'not the password', '10.0.0.66')).statusCode);
    expect(attacker).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const owner = await signIn(unlimited, u.email, 'correct horse battery', '10.0.0.7');
    expect(owner.statusCode, owner.body).toBe(200);
    // A success does not count against the owner: they can sign in again and again.
    for (let i = 0; i < 6; i++)
      expect(
        (await signIn(unlimited, u.email, 'correct horse battery', '10.0.0.7')).statusCode,
      ).toBe(200);
  });

  it('limits sign-in requests per address across emails; other addresses are served', async () => {
    const u = await signUp(t.app);
    const codes: number[] = [];
    for (let i = 0; i < 32; i++)
      codes.push(
        (await signIn(t, `someone${i}@example.com`, 'not the password', '10.9.9.9')).statusCode,
      );
    expect(codes.slice(0, 30).every((c) => c === 401)).toBe(true);
    const refused = await signIn(t, u.email, 'correct horse battery', '10.9.9.9');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('rate-limited');
    expect((await signIn(t, u.email, 'correct horse battery', '10.1.1.1')).statusCode).toBe(200);
  });

  it('prunes attempts older than the window', async () => {
    const u = await signUp(unlimited.app);
    for (let i = 0; i < 3; i++) await signIn(unlimited, u.email, 'not the password', '10.5.5.5');
    const count = async () =>
      (
        await unlimited.db.query<{ n: number }>(
          'select count(*)::int as n from signin_attempts where email = $1',
          [u.email],
        )
      ).rows[0]?.n;
    expect(await count()).toBe(3);
    unlimited.clock.advance(16 * MINUTE);
    await signIn(unlimited, 'another@example.com', 'not the password', '10.5.5.5');
    expect(await count()).toBe(0);
  });
});
