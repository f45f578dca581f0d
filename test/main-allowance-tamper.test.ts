import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryHash } from '../shared/ledger/chain';
import { AllowanceHeader, VoucherRecord, recordKey } from '../main/offline/device-records';
import { EntryProof } from '../main/offline/reserve-proof';
import { expectEaselError, startPgliteServer } from './support/main-harness';
import { install, type OpenInstall } from './support/main-install';

type Server = Awaited<ReturnType<typeof startPgliteServer>>;

async function redeem(d: OpenInstall, designId: string) {
  const book = await d.call('getPriceBook', {});
  const design = (await d.call('listDesigns', {})).find((x) => x.designId === designId);
  if (!design) throw new Error(`no ${designId}`);
  return d.call('redeemDesign', {
    designId,
    expectedCredits: design.credits,
    priceBookVersion: book.book.version,
  });
}

/** Signs up, funds the account, caches the catalog and takes a 200-credit allowance online. */
async function ready(server: Server, email: string) {
  const i = await install(server.url);
  const d = await i.open();
  const s = await d.call('signUp', { email, password: 'correct horse battery' });
  const accountId = s.accountId ?? '';
  await server.services.ledger.grant(accountId, {
    operationId: 'grant-tamper',
    amount: 1000,
    source: 'promo',
    reason: 'test credits',
  });
  await d.call('getPriceBook', {});
  await d.call('listDesigns', {});
  const allowance = await d.call('takeAllowance', { amount: 200, days: 7 });
  expect(allowance).toMatchObject({ amount: 200, verified: true });
  const deviceId = s.deviceId ?? '';
  return { i, d, accountId, deviceId, allowanceId: allowance.allowanceId };
}

describe('the device owner edits the offline allowance in main’s device state (real server)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startPgliteServer();
  });
  afterAll(async () => server.stop());

  it('a raised amount spends no more than the signed reserve entry allows', async () => {
    const { i, d, accountId, deviceId, allowanceId } = await ready(server, 'raise@example.com');
    const before = (await server.services.ledger.wallet(accountId)).balances.image?.balance ?? 0;
    await d.core.close();
    await i.editState((tx) => {
      const key = recordKey.allowance(deviceId);
      const h = AllowanceHeader.parse(tx.get(key));
      if (!h.current) throw new Error('no allowance');
      tx.put(key, {
        ...h,
        current: { ...h.current, claimed: { ...h.current.claimed, amount: 1000 } },
      });
    });

    i.proxy.faults.down = true;
    let offline = await i.open();
    expect((await redeem(offline, 'design-confetti')).mode).toBe('offline');
    expect((await redeem(offline, 'design-confetti')).mode).toBe('offline');
    const over = await expectEaselError(redeem(offline, 'design-confetti'));
    expect(over.code).toBe('allowance-exceeded');
    expect(await offline.call('getAllowance', {})).toMatchObject({
      amount: 200,
      spentOffline: 198,
    });
    await offline.core.close();

    // The signed entry itself, edited and rehashed: it no longer matches its checkpoint.
    await i.editState((tx) => {
      const key = recordKey.reserve(allowanceId);
      const proof = EntryProof.parse(tx.get(key));
      const body = proof.entry.body.replace('"amount":200', '"amount":1000');
      expect(body).not.toBe(proof.entry.body);
      tx.put(key, {
        ...proof,
        entry: { ...proof.entry, body, hash: entryHash(proof.prevHash, body) },
      });
    });
    offline = await i.open();
    const refused = await expectEaselError(redeem(offline, 'design-frames'));
    expect(refused.code).toBe('allowance-unverified');
    expect(refused.message).toMatch(/does not match the signed ledger/);
    expect((await offline.call('getAllowance', {}))?.blockedReason).toMatch(/signed ledger/);

    // Back online: the two vouchers settle; the server never gave more than 200.
    i.proxy.faults.down = false;
    await offline.drained();
    expect(await offline.call('getAllowance', {})).toMatchObject({ settled: 198, rejected: [] });
    const after = (await server.services.ledger.wallet(accountId)).balances.image?.balance ?? 0;
    expect(before - after).toBe(198);
    await offline.core.close();
    await i.remove();
  });

  it('a counter set back is judged by the server as a reused counter, reported, and its claim undone', async () => {
    const { i, d, accountId, deviceId, allowanceId } = await ready(server, 'counter@example.com');
    i.proxy.faults.down = true;
    expect(await redeem(d, 'design-confetti')).toMatchObject({
      mode: 'offline',
      voucherCounter: 1,
    });
    await d.core.close();

    // Setting the stored counter back is not enough: the vouchers kept say what was used.
    await i.editState((tx) => {
      const key = recordKey.allowance(deviceId);
      const h = AllowanceHeader.parse(tx.get(key));
      if (!h.current) throw new Error('no allowance');
      tx.put(key, { ...h, current: { ...h.current, counter: 0 } });
    });
    let offline = await i.open();
    expect((await redeem(offline, 'design-confetti')).voucherCounter).toBe(2);
    await offline.core.close();

    // Forget the vouchers too, and the next spend reuses counter 1 with other content.
    await i.editState((tx) => {
      const key = recordKey.allowance(deviceId);
      const h = AllowanceHeader.parse(tx.get(key));
      if (!h.current) throw new Error('no allowance');
      tx.put(key, { ...h, current: { ...h.current, counter: 0 } });
      for (const k of tx.keys(recordKey.vouchersOf(deviceId, allowanceId))) tx.delete(k);
    });
    offline = await i.open();
    expect(await redeem(offline, 'design-frames')).toMatchObject({ voucherCounter: 1 });
    const cached = await offline.call('listDesigns', {});
    expect(cached.find((x) => x.designId === 'design-frames')?.owned).toBe(true);

    i.proxy.faults.down = false;
    await offline.drained();
    // The server ran its own check: a rejection entry flags the reused counter.
    const { rows } = await server.services.db.query<{ body: string }>(
      "select body from entries where account_id = $1 and type = 'rejection'",
      [accountId],
    );
    expect(rows.map((r) => (JSON.parse(r.body) as { code: string }).code)).toEqual([
      'voucher-counter-reused',
    ]);
    const state = await offline.call('getAllowance', {});
    expect(state?.rejected).toEqual([
      expect.objectContaining({ counter: 1, code: 'counter-reused', designId: 'design-frames' }),
    ]);
    // Refreshed from the server: 99 + 99 settled, so 2 credits are left, whatever the device kept.
    expect(state).toMatchObject({ settled: 198, spentOffline: 198, pendingVouchers: 0 });
    await offline.core.close();
    let stored: unknown;
    await i.editState((tx) => (stored = tx.get(recordKey.voucher(deviceId, allowanceId, 1))));
    expect(VoucherRecord.parse(stored)).toMatchObject({
      status: 'rejected',
      code: 'counter-reused',
    });

    // The refused claim is undone in main's cached catalog too (seen offline).
    i.proxy.faults.down = true;
    const again = await i.open();
    const designs = await again.call('listDesigns', {});
    expect(designs.find((x) => x.designId === 'design-frames')?.owned).toBe(false);
    await again.core.close();
    await i.remove();
  });
});
