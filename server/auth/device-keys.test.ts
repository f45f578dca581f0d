import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../shared/crypto/ed25519';
import type { Voucher } from '../../shared/ledger/entry';
import { signVoucher } from '../../shared/ledger/voucher';
import { type TestServer, backends, opId, signUp, testServer } from '../testing/harness';

describe.each(backends)('rotating a device key on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, { start: '2026-11-02T10:00:00.000Z' });
  });
  afterAll(async () => t.close());

  const post = (url: string, headers: Record<string, string>, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers, payload: payload as object });

  it('binds new allowances to the new key while vouchers signed under the old one still settle', async () => {
    const u = await signUp(t.app);
    await t.services.ledger.grant(u.accountId, {
      operationId: opId('fund'),
      amount: 1000,
      source: 'promo',
      reason: 'test',
    });
    const oldKey = generateKeyPair();
    const newKey = generateKeyPair();
    const device = (
      await post('/v1/devices', u.headers, { name: 'pc', publicKey: oldKey.publicKey })
    ).json<{ deviceId: string }>().deviceId;
    const take = async () =>
      (
        await post('/v1/allowances', u.headers, {
          operationId: opId(),
          deviceId: device,
          amount: 200,
        })
      ).json<{ allowanceId: string }>().allowanceId;
    const voucher = (allowanceId: string, counter: number): Voucher => ({
      allowanceId,
      counter,
      amount: 99,
      itemId: `design-confetti-${counter}`,
      purpose: { kind: 'design', designId: 'design-confetti' },
      at: t.clock.now(),
    });
    const settle = async (allowanceId: string, v: Voucher, key: KeyPair) =>
      (
        await post(`/v1/allowances/${allowanceId}/settle`, u.headers, {
          operationId: opId(),
          vouchers: [{ voucher: v, signature: signVoucher(v, key.secretKey) }],
        })
      ).json<{ vouchers: Array<{ status: string; code?: string }> }>().vouchers[0];

    const before = await take();
    const rotated = await post(`/v1/devices/${device}/key`, u.headers, {
      publicKey: newKey.publicKey,
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).toMatchObject({ deviceId: device, publicKey: newKey.publicKey });

    // The allowance taken before keeps the key its reserve entry recorded.
    expect(await settle(before, voucher(before, 1), oldKey)).toMatchObject({ status: 'settled' });
    const after = await take();
    expect(await settle(after, voucher(after, 1), oldKey)).toMatchObject({
      status: 'rejected',
      code: 'bad-signature',
    });
    expect(await settle(after, voucher(after, 1), newKey)).toMatchObject({ status: 'settled' });
  });

  it("refuses another account's device and a malformed key, changing nothing", async () => {
    const a = await signUp(t.app);
    const b = await signUp(t.app);
    const key = generateKeyPair();
    const device = (
      await post('/v1/devices', a.headers, { name: 'pc', publicKey: key.publicKey })
    ).json<{ deviceId: string }>().deviceId;
    const foreign = await post(`/v1/devices/${device}/key`, b.headers, {
      publicKey: generateKeyPair().publicKey,
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('not-found');
    const malformed = await post(`/v1/devices/${device}/key`, a.headers, { publicKey: 'zz' });
    expect(malformed.statusCode).toBe(400);
    const unauthenticated = await post(
      `/v1/devices/${device}/key`,
      {},
      {
        publicKey: generateKeyPair().publicKey,
      },
    );
    expect(unauthenticated.statusCode).toBe(401);
    expect(await t.services.auth.device(a.accountId, device)).toMatchObject({
      publicKey: key.publicKey,
    });
  });
});
