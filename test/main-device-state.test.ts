import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllowanceResponse } from '../shared/api/ledger';
import { GENESIS } from '../shared/ledger/chain';
import { signVoucher } from '../shared/ledger/voucher';
import { MemorySecretStore } from '../main/secrets/secret-store';
import { expectEaselError, startPgliteServer } from './support/main-harness';
import { install, type Install, type OpenInstall } from './support/main-install';

type Server = Awaited<ReturnType<typeof startPgliteServer>>;
const password = 'correct horse battery';

async function redeem(d: OpenInstall, designId = 'design-confetti') {
  const book = await d.call('getPriceBook', {});
  const design = (await d.call('listDesigns', {})).find((x) => x.designId === designId);
  if (!design) throw new Error(`no ${designId}`);
  return d.call('redeemDesign', {
    designId,
    expectedCredits: design.credits,
    priceBookVersion: book.book.version,
  });
}

describe('no silent resets: unreadable device state is reported with a way out (real server)', () => {
  let server: Server;
  let n = 0;
  beforeAll(async () => {
    server = await startPgliteServer();
  });
  afterAll(async () => server.stop());

  /** A signed-in install with credits, the catalog cached and an allowance taken. */
  async function signedIn(secrets = new MemorySecretStore()) {
    const i = await install(server.url, secrets);
    const d = await i.open();
    const s = await d.call('signUp', { email: `state${++n}@example.com`, password });
    await server.services.ledger.grant(s.accountId ?? '', {
      operationId: 'grant-state',
      amount: 1000,
      source: 'promo',
      reason: 'test credits',
    });
    await d.call('getPriceBook', {});
    await d.call('listDesigns', {});
    await d.call('takeAllowance', { amount: 200, days: 7 });
    return { i, d, accountId: s.accountId ?? '', deviceId: s.deviceId ?? '' };
  }
  const devicesOf = async (accountId: string) =>
    (await server.services.auth.account(accountId)).devices;

  it('a corrupt session file: signed out, reported, kept; re-sync finds the same device on the server', async () => {
    const { i, d, accountId, deviceId } = await signedIn();
    await d.core.close();
    const path = join(i.dataDir, 'session.json');
    await writeFile(path, '{"serverUrl": "http://x", "accountId": ');
    const again = await i.open();
    expect((await again.call('getSession', {})).signedIn).toBe(false);
    expect(await again.call('getDeviceHealth', {})).toEqual({
      problems: [expect.objectContaining({ part: 'session', remedy: 'resync' })],
    });
    expect(await readFile(path, 'utf8')).toBe('{"serverUrl": "http://x", "accountId": ');
    await again.call('resyncDeviceState', { part: 'session' });
    const session = await again.call('getSession', {});
    expect(session).toMatchObject({ signedIn: true, accountId, deviceId });
    expect(await devicesOf(accountId)).toHaveLength(1); // no second device registered
    expect((await again.call('getDeviceHealth', {})).problems).toEqual([]);
    expect((await readdir(i.dataDir)).some((f) => f.startsWith('session.json.unreadable-'))).toBe(
      true,
    );
    await again.core.close();
    await i.remove();
  });

  it('a corrupt settings file: defaults meanwhile, nothing saved over it until re-synced', async () => {
    const i = await install(server.url);
    const path = join(i.dataDir, 'settings.json');
    await writeFile(path, '{"allowanceAmount": "lots"}');
    const d = await i.open();
    expect((await d.call('getSettings', {})).allowanceAmount).toBe(200);
    expect((await d.call('getDeviceHealth', {})).problems.map((p) => p.part)).toEqual(['settings']);
    const refused = await expectEaselError(d.call('updateSettings', { allowanceAmount: 50 }));
    expect(refused.code).toBe('device-state-unreadable');
    expect(await readFile(path, 'utf8')).toBe('{"allowanceAmount": "lots"}');
    await d.call('resyncDeviceState', { part: 'settings' });
    expect((await d.call('updateSettings', { allowanceAmount: 50 })).allowanceAmount).toBe(50);
    expect((await d.call('getDeviceHealth', {})).problems).toEqual([]);
    await d.core.close();
    await i.remove();
  });

  it('a corrupt key ring refuses verification instead of trusting nothing; re-sync fetches the keys', async () => {
    const { i, d } = await signedIn();
    expect((await d.call('pullBatch', { after: GENESIS })).entries.length).toBeGreaterThan(0);
    await d.core.close();
    await writeFile(join(i.dataDir, 'server-keys.json'), '{"keys": [{"keyId": 1}]}');
    const again = await i.open();
    const refused = await expectEaselError(again.call('pullBatch', { after: GENESIS }));
    expect(refused.code).toBe('device-state-unreadable');
    expect((await again.call('getDeviceHealth', {})).problems.map((p) => p.part)).toContain(
      'server-keys',
    );
    await again.call('resyncDeviceState', { part: 'server-keys' });
    expect((await again.call('pullBatch', { after: GENESIS })).entries.length).toBeGreaterThan(0);
    await again.core.close();
    await i.remove();
  });

  it('a lost device key is never replaced silently: spending stops, and rotation through the server fixes it', async () => {
    const secrets = new MemorySecretStore();
    const { i, d, accountId, deviceId } = await signedIn(secrets);
    i.proxy.faults.down = true;
    expect((await redeem(d)).mode).toBe('offline'); // signed with the old key, pending
    await d.core.close();
    await secrets.delete('device-signing-key');

    const again = await i.open();
    const refused = await expectEaselError(redeem(again));
    expect(refused.code).toBe('device-key-unreadable');
    expect(refused.message).toMatch(/offline spending is stopped/);
    expect(await secrets.get('device-signing-key')).toBeNull(); // no silent new key
    expect(await again.call('getDeviceHealth', {})).toMatchObject({
      problems: [{ part: 'device-key', remedy: 'rotate-key' }],
    });
    expect((await again.call('getAllowance', {}))?.blockedReason).toMatch(/signing key/);
    expect((await expectEaselError(again.call('rotateDeviceKey', {}))).code).toBe('offline');

    i.proxy.faults.down = false;
    const before = (await devicesOf(accountId))[0]?.publicKey;
    await again.call('rotateDeviceKey', {});
    const after = (await devicesOf(accountId))[0]?.publicKey;
    expect(after).not.toBe(before);
    expect(await secrets.get('device-signing-key')).not.toBeNull();
    expect((await again.call('getDeviceHealth', {})).problems).toEqual([]);
    await again.drained();
    // The voucher signed with the old key settled; the old allowance went back to the server.
    const old = await again.call('getAllowance', {});
    expect(old).toMatchObject({ status: 'closed', settled: 99, rejected: [] });
    const closed = await server.services.allowances.status(accountId, old?.allowanceId ?? '');
    expect(AllowanceResponse.parse(closed.body).status).toBe('closed');
    // A new allowance is bound to the new key and spends offline again.
    await again.call('takeAllowance', { amount: 200, days: 7 });
    i.proxy.faults.down = true;
    expect((await redeem(again)).mode).toBe('offline');
    i.proxy.faults.down = false;
    await again.drained();
    expect((await again.call('getAllowance', {}))?.settled).toBe(99);
    expect((await again.call('getSession', {})).deviceId).toBe(deviceId);
    await again.core.close();
    await i.remove();
  });

  it('a damaged commit in the device state: spending stops with the reason; re-sync keeps what is intact and settles it once', async () => {
    const { i, d, accountId } = await signedIn();
    i.proxy.faults.down = true;
    expect((await redeem(d)).voucherCounter).toBe(1);
    expect((await redeem(d)).voucherCounter).toBe(2);
    i.proxy.faults.down = false;
    await d.drained(); // both settled: the server has seen mutations 1 and 2
    await d.core.close();

    // Damage the commit that held voucher 2 (and its mutation): a changed byte.
    const path = join(i.dataDir, 'device-state', 'journal.log');
    const lines = (await readFile(path, 'utf8')).split('\n');
    const at = lines.findIndex((l) => l.includes('"counter":2') && l.includes('settle-vouchers'));
    expect(at).toBeGreaterThan(0);
    lines[at] = (lines[at] ?? '').replace('"counter":2', '"counter":3');
    await writeFile(path, lines.join('\n'));

    await assertRecovers(i, accountId);
  });

  async function assertRecovers(i: Install, accountId: string) {
    i.proxy.faults.down = true;
    const again = await i.open();
    expect((await again.call('getSession', {})).signedIn).toBe(true);
    const refused = await expectEaselError(redeem(again));
    expect(refused.code).toBe('device-state-unreadable');
    expect((await again.call('getDeviceHealth', {})).problems.map((p) => p.part)).toEqual([
      'device-state',
    ]);
    // Offline, re-sync cannot learn what the server has seen: it says so and changes nothing.
    await expect(again.call('resyncDeviceState', { part: 'device-state' })).rejects.toMatchObject({
      code: 'offline',
    });
    i.proxy.faults.down = false;
    await again.call('resyncDeviceState', { part: 'device-state' });
    expect((await again.call('getDeviceHealth', {})).problems).toEqual([]);
    await again.drained();
    // Voucher 1 (intact) was answered as the replay it is; mutation numbering went past what
    // the server had seen, so the allowance really went back; nothing settled twice.
    const a = await again.call('getAllowance', {});
    expect(a).toMatchObject({ status: 'closed', settled: 198 });
    const closed = await server.services.allowances.status(accountId, a?.allowanceId ?? '');
    expect(AllowanceResponse.parse(closed.body)).toMatchObject({ status: 'closed', settled: 198 });
    const { rows } = await server.services.db.query<{ body: string }>(
      "select body from entries where account_id = $1 and type in ('settle', 'rejection')",
      [accountId],
    );
    const counters = rows.flatMap(
      (r) => (JSON.parse(r.body) as { vouchers?: Array<{ counter: number }> }).vouchers ?? [],
    );
    expect(counters.map((c) => c.counter).sort()).toEqual([1, 2]);
    expect(
      (await readdir(join(i.dataDir, 'device-state'))).some((f) =>
        f.startsWith('journal.log.unreadable-'),
      ),
    ).toBe(true);
    await again.core.close();
    await i.remove();
  }
});

describe('upgrading from the per-file device state of earlier versions (real server)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startPgliteServer();
  });
  afterAll(async () => server.stop());

  it('imports a signed voucher the old files left unqueued, settles it once, and returns the allowance', async () => {
    const secrets = new MemorySecretStore();
    const i = await install(server.url, secrets);
    const d = await i.open();
    const s = await d.call('signUp', { email: 'legacy@example.com', password });
    const accountId = s.accountId ?? '';
    const deviceId = s.deviceId ?? '';
    await server.services.ledger.grant(accountId, {
      operationId: 'grant-legacy',
      amount: 1000,
      source: 'promo',
      reason: 'test credits',
    });
    await d.core.close();
    // What an earlier version left after a crash between its two files: the voucher signed
    // and kept in allowance-<device>.json, but never written to outbox-<device>.json.
    const reserve = await server.services.allowances.create(accountId, {
      operationId: 'legacy-allowance',
      deviceId,
      kind: 'image',
      amount: 200,
      ttlSeconds: 86_400,
    });
    const allowanceId = reserve.body.allowanceId;
    const voucher = {
      allowanceId,
      counter: 1,
      amount: 99,
      itemId: 'offline.design-confetti.1',
      purpose: { kind: 'design' as const, designId: 'design-confetti' },
      at: new Date().toISOString(),
    };
    const secret = (await secrets.get('device-signing-key')) ?? '';
    const safe = encodeURIComponent(deviceId);
    await writeFile(
      join(i.dataDir, `allowance-${safe}.json`),
      JSON.stringify({
        pendingTake: null,
        allowance: {
          allowanceId,
          kind: 'image',
          amount: 200,
          expiresAt: reserve.body.expiresAt,
          status: 'open',
          counter: 1,
          vouchers: [
            {
              signed: { voucher, signature: signVoucher(voucher, secret) },
              status: 'pending',
              code: null,
              message: null,
            },
          ],
        },
      }),
    );
    await writeFile(
      join(i.dataDir, `outbox-${safe}.json`),
      JSON.stringify({ deviceId, nextSeq: 1, pending: [] }),
    );

    const again = await i.open();
    await again.drained();
    expect(await again.call('getAllowance', {})).toMatchObject({
      allowanceId,
      status: 'closed',
      settled: 99,
      pendingVouchers: 0,
      rejected: [],
    });
    const status = await server.services.allowances.status(accountId, allowanceId);
    expect(AllowanceResponse.parse(status.body)).toMatchObject({ status: 'closed', settled: 99 });
    const files = await readdir(i.dataDir);
    expect(files.filter((f) => f.includes('.imported-'))).toHaveLength(2);
    await again.core.close();
    await i.remove();
  });
});
