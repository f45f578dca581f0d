import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectEaselError, startPgliteServer, waitFor } from './support/main-harness';
import { proxiedDevice } from './support/main-install';

type Server = Awaited<ReturnType<typeof startPgliteServer>>;

/** One desktop install: its own data folder, secrets, and network path (a proxy we can cut). */
const device = (server: Server) => proxiedDevice(server.url, 'easel-main-dev-');
type Device = Awaited<ReturnType<typeof device>>;

async function balanceOf(server: Server, accountId: string) {
  const w = await server.services.ledger.wallet(accountId);
  return w.balances.image ?? { balance: 0, available: 0 };
}

async function settleEntries(server: Server, accountId: string) {
  const { rows } = await server.services.db.query<{ body: string }>(
    "select body from entries where account_id = $1 and type = 'settle' order by seq",
    [accountId],
  );
  return rows.map(
    (r) => JSON.parse(r.body) as { allowanceId: string; vouchers: Array<{ counter: number }> },
  );
}

async function offlineRedeem(d: Device, designId: string, credits: number, version: number) {
  return d.call('redeemDesign', { designId, expectedCredits: credits, priceBookVersion: version });
}

describe('offline allowances on two devices of one account (real server, PGlite)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startPgliteServer();
  });
  afterAll(async () => server.stop());

  for (const order of [
    ['a', 'b'],
    ['b', 'a'],
  ] as const) {
    it(`never overdraws and settles every voucher once (reconnect ${order.join(' then ')})`, async () => {
      const a = await device(server);
      const b = await device(server);
      const email = `two-${order.join('')}@example.com`;
      const password = 'correct horse battery';
      const session = await a.call('signUp', { email, password });
      await b.call('signIn', { email, password });
      const accountId = session.accountId!;
      await server.services.ledger.grant(accountId, {
        operationId: 'grant-offline',
        amount: 400,
        source: 'promo',
        reason: 'test credits',
      });
      const start = (await balanceOf(server, accountId)).balance;

      // Both cache the catalog and price book, and take allowances while online.
      const book = await a.call('getPriceBook', {});
      await b.call('getPriceBook', {});
      const designs = await a.call('listDesigns', {});
      await b.call('listDesigns', {});
      const price = (id: string) => designs.find((d) => d.designId === id)!.credits;
      const v = book.book.version;
      const allowA = await a.call('takeAllowance', {});
      expect(allowA).toMatchObject({ amount: 200, status: 'open', spentOffline: 0 });
      await b.call('takeAllowance', {});
      // Both reserves are out: the account has start - 400 available for online spending.
      expect((await balanceOf(server, accountId)).available).toBe(start - 400);

      a.proxy.faults.down = true;
      b.proxy.faults.down = true;
      // Device A: 99 + 99 fits in 200; 149 more would not.
      const r1 = await offlineRedeem(a, 'design-confetti', price('design-confetti'), v);
      expect(r1).toMatchObject({ mode: 'offline', voucherCounter: 1 });
      const over = await expectEaselError(
        offlineRedeem(a, 'design-frames', price('design-frames'), v),
      );
      expect(over.code).toBe('allowance-exceeded');
      const r2 = await offlineRedeem(a, 'design-confetti', price('design-confetti'), v);
      expect(r2.voucherCounter).toBe(2);
      // Device B: 149, then 99 more is past its allowance.
      await offlineRedeem(b, 'design-frames', price('design-frames'), v);
      expect(
        (await expectEaselError(offlineRedeem(b, 'design-confetti', price('design-confetti'), v)))
          .code,
      ).toBe('allowance-exceeded');
      // A price that does not match the cached signed book is refused offline too.
      expect((await expectEaselError(offlineRedeem(b, 'design-tidal', 1, v))).code).toBe(
        'quote-changed',
      );

      const stateA = await a.call('getAllowance', {});
      expect(stateA).toMatchObject({ spentOffline: 198, pendingVouchers: 2, settled: 0 });
      expect((await a.call('getSyncState', {})).status).toBe('offline');
      expect((await a.call('getSyncState', {})).pendingMutations).toBe(2);

      const devices = { a, b };
      for (const name of order) {
        const d = devices[name];
        d.proxy.faults.down = false;
        await waitFor(async () => (await d.call('getSyncState', {})).pendingMutations === 0);
        const bal = await balanceOf(server, accountId);
        expect(bal.balance).toBeGreaterThanOrEqual(0);
        expect(bal.available).toBeGreaterThanOrEqual(0);
      }

      const finalA = await a.call('getAllowance', {});
      const finalB = await b.call('getAllowance', {});
      expect(finalA).toMatchObject({ settled: 198, pendingVouchers: 0, rejected: [] });
      expect(finalB).toMatchObject({ settled: 149, pendingVouchers: 0, rejected: [] });
      expect((await balanceOf(server, accountId)).balance).toBe(start - 198 - 149);

      // Each (allowance, counter) settled exactly once, even after pushing everything again.
      const outboxA = await a.core.testing.device();
      await outboxA.outbox.flush();
      const settled = (await settleEntries(server, accountId)).flatMap((s) =>
        s.vouchers.map((x) => `${s.allowanceId}#${x.counter}`),
      );
      expect(settled).toHaveLength(3);
      expect(new Set(settled).size).toBe(3);

      // Giving back the rest settles the reserves: nothing stays locked.
      await a.call('returnAllowance', {});
      await b.call('returnAllowance', {});
      await waitFor(async () => (await a.call('getSyncState', {})).pendingMutations === 0);
      await waitFor(async () => (await b.call('getSyncState', {})).pendingMutations === 0);
      const end = await balanceOf(server, accountId);
      expect(end.available).toBe(end.balance);

      await a.close();
      await b.close();
    });
  }

  it('refuses to spend past the expiry, and shows a voucher the server rejects', async () => {
    let now = new Date();
    const d = await proxiedDevice(server.url, 'easel-main-exp-', () => now);
    const { core, proxy } = d;
    const { impl } = core;
    const s = await impl.signUp(
      { email: 'expiry@example.com', password: 'correct horse battery' },
      {
        transport: 'browser',
        origin: null,
        authenticated: true,
      },
    );
    const sender = { transport: 'browser' as const, origin: null, authenticated: true };
    await server.services.ledger.grant(s.accountId!, {
      operationId: 'grant-exp',
      amount: 300,
      source: 'promo',
      reason: 'test credits',
    });
    const book = await impl.getPriceBook({}, sender);
    const designs = await impl.listDesigns({}, sender);
    const confetti = designs.find((d) => d.designId === 'design-confetti')!;
    await impl.takeAllowance({ amount: 150, days: 1 }, sender);
    proxy.faults.down = true;
    const redeem = () =>
      impl.redeemDesign(
        {
          designId: confetti.designId,
          expectedCredits: confetti.credits,
          priceBookVersion: book.book.version,
        },
        sender,
      );
    // The allowance is returned on the server behind the device's back: its voucher is refused.
    const device = await core.testing.device();
    const state = await device.allowances.state();
    const first = await redeem();
    expect(first.mode).toBe('offline');
    await server.services.allowances.giveBack(
      s.accountId!,
      state!.allowanceId,
      'return-behind-back',
    );
    now = new Date(now.getTime() + 2 * 86_400_000);
    expect((await expectEaselError(redeem())).code).toBe('allowance-expired');
    proxy.faults.down = false;
    await waitFor(async () => (await impl.getSyncState({}, sender)).pendingMutations === 0);
    const after = await impl.getAllowance({}, sender);
    expect(after?.rejected).toHaveLength(1);
    expect(after?.rejected[0]?.code).toBe('allowance-closed');
    await d.close();
  });
});
