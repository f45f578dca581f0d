import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../shared/crypto/ed25519';
import { PullResponse } from '../../shared/api/ledger';
import { GENESIS, type ChainHead } from '../../shared/ledger/chain';
import type { EntryBody, Voucher } from '../../shared/ledger/entry';
import { WalletFold, balancesOf } from '../../shared/wallet/fold';
import { verifyChain } from '../../shared/ledger/verify';
import { signVoucher } from '../../shared/ledger/voucher';
import { DAY, HOUR, MINUTE } from '../clock';
import { type TestServer, backends, headSeq, opId, signUp, testServer } from '../testing/harness';
import { recordItem } from './refund-service';

const job = { kind: 'job', jobId: 'job-1', tool: 'generate' } as const;

describe.each(backends)('ledger operations on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer(backend, { start: '2026-11-02T10:00:00.000Z' });
  });
  afterAll(async () => t.close());

  const post = (url: string, headers: Record<string, string>, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const get = (url: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'GET', url, headers });
  const balance = async (headers: Record<string, string>) =>
    (await get('/v1/ledger/balance', headers)).json().balances.image;
  const funded = async (amount = 100) => {
    const u = await signUp(t.app);
    if (amount > 0)
      await t.services.ledger.grant(u.accountId, {
        operationId: opId('fund'),
        amount,
        source: 'promo',
        reason: 'test',
      });
    return u;
  };

  it('grants the free daily credits on the first use of each day, gone at its end', async () => {
    const u = await signUp(t.app);
    expect(await balance(u.headers)).toMatchObject({ balance: 20, available: 20 });
    t.clock.advance(DAY);
    await get('/v1/ledger/entries?after=0', u.headers); // first use of the next day
    const pulled = (await get('/v1/ledger/entries?after=0', u.headers)).json();
    const types = pulled.entries.map((e: { body: string }) => JSON.parse(e.body).type);
    expect(types).toEqual(['grant', 'expire', 'grant']);
    expect(await balance(u.headers)).toMatchObject({ balance: 20 });
  });

  it('replays an operation id with its first result and refuses it for a different request', async () => {
    const u = await funded();
    const body = { operationId: opId(), amount: 6, purpose: job };
    const a = await post('/v1/ledger/holds', u.headers, body);
    const seq = await headSeq(t.db, u.accountId);
    const b = await post('/v1/ledger/holds', u.headers, body);
    expect(a.statusCode).toBe(201);
    expect(b.json()).toEqual(a.json());
    expect(await headSeq(t.db, u.accountId)).toBe(seq);
    const c = await post('/v1/ledger/holds', u.headers, { ...body, amount: 7 });
    expect(c.statusCode).toBe(409);
    expect(c.json().error.code).toBe('operation-id-reused');
    expect(await headSeq(t.db, u.accountId)).toBe(seq);
  });

  it('captures at most what is held, returns the rest, and resolves each hold once', async () => {
    const u = await funded();
    const hold = (
      await post('/v1/ledger/holds', u.headers, { operationId: opId(), amount: 24, purpose: job })
    ).json();
    const start = await balance(u.headers);
    expect(start.held).toBe(24);
    expect(
      (
        await post(`/v1/ledger/holds/${hold.holdId}/capture`, u.headers, {
          operationId: opId(),
          amount: 25,
        })
      ).statusCode,
    ).toBe(400);
    const cap = await post(`/v1/ledger/holds/${hold.holdId}/capture`, u.headers, {
      operationId: opId(),
      amount: 18,
    });
    expect(cap.statusCode).toBe(200);
    expect(await balance(u.headers)).toMatchObject({ balance: start.balance - 18, held: 0 });
    const again = await post(`/v1/ledger/holds/${hold.holdId}/release`, u.headers, {
      operationId: opId(),
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('hold-not-open');
  });

  it('expires a hold after 15 minutes without sleeping: released, and no longer capturable', async () => {
    const u = await funded();
    const before = await balance(u.headers);
    const hold = (
      await post('/v1/ledger/holds', u.headers, { operationId: opId(), amount: 6, purpose: job })
    ).json();
    t.clock.advance(16 * MINUTE);
    expect(await t.services.ledger.sweep()).toBeGreaterThanOrEqual(1);
    expect(await balance(u.headers)).toMatchObject({ available: before.available, held: 0 });
    const late = await post(`/v1/ledger/holds/${hold.holdId}/capture`, u.headers, {
      operationId: opId(),
      amount: 6,
    });
    expect(late.statusCode).toBe(409);
    const last = (await get('/v1/ledger/entries?after=0', u.headers)).json().entries.at(-1);
    expect(JSON.parse(last.body)).toMatchObject({
      type: 'release',
      reason: 'expired',
      holdId: hold.holdId,
    });
  });

  it('expires buckets at their expiry, as ledger entries', async () => {
    const u = await signUp(t.app);
    await t.services.ledger.grant(u.accountId, {
      operationId: opId(),
      amount: 30,
      source: 'promo',
      reason: 'promo',
      expiresAt: new Date(Date.parse(t.clock.now()) + HOUR).toISOString(),
    });
    const before = await balance(u.headers);
    t.clock.advance(2 * HOUR);
    expect((await balance(u.headers)).balance).toBe(before.balance - 30); // the view already knows
    await post('/v1/ledger/holds', u.headers, { operationId: opId(), amount: 1, purpose: job }); // any write materialises
    const bodies = (await get('/v1/ledger/entries?after=0', u.headers))
      .json()
      .entries.map((e: { body: string }) => JSON.parse(e.body));
    expect(
      bodies.some((b: { type: string; amount: number }) => b.type === 'expire' && b.amount === 30),
    ).toBe(true);
  });

  it('refunds a disliked image once within 24 h, back to the paying bucket', async () => {
    const u = await funded(100);
    const hold = (
      await post('/v1/ledger/holds', u.headers, { operationId: opId(), amount: 6, purpose: job })
    ).json();
    await post(`/v1/ledger/holds/${hold.holdId}/capture`, u.headers, {
      operationId: opId(),
      amount: 6,
    });
    const after = await balance(u.headers);
    for (const itemId of ['img-a', 'img-b']) {
      await recordItem(t.db, {
        itemId: `${u.accountId}-${itemId}`,
        accountId: u.accountId,
        paidBy: hold.holdId,
        tool: 'generate',
        refundCredits: 4,
        createdAt: t.clock.now(),
      });
    }
    const first = await post(`/v1/items/${u.accountId}-img-a/dislike`, u.headers, {
      operationId: opId(),
    });
    expect(first.statusCode).toBe(201);
    expect(first.json().credits).toBe(4);
    expect((await balance(u.headers)).balance).toBe(after.balance + 4);
    const twice = await post(`/v1/items/${u.accountId}-img-a/dislike`, u.headers, {
      operationId: opId(),
    });
    expect(twice.json().error.code).toBe('already-refunded');
    // Only 2 of the 6 paid credits are left to refund for the second image.
    expect(
      (
        await post(`/v1/items/${u.accountId}-img-b/dislike`, u.headers, { operationId: opId() })
      ).json().credits,
    ).toBe(2);
  });

  it('refuses a refund after 24 h, and refunds into a new bucket when the payer has expired', async () => {
    const u = await signUp(t.app);
    const hold = (
      await post('/v1/ledger/holds', u.headers, { operationId: opId(), amount: 6, purpose: job })
    ).json(); // paid from today's daily credits
    await post(`/v1/ledger/holds/${hold.holdId}/capture`, u.headers, {
      operationId: opId(),
      amount: 6,
    });
    await recordItem(t.db, {
      itemId: `${u.accountId}-late`,
      accountId: u.accountId,
      paidBy: hold.holdId,
      tool: 'generate',
      refundCredits: 4,
      createdAt: t.clock.now(),
    });
    await recordItem(t.db, {
      itemId: `${u.accountId}-tomorrow`,
      accountId: u.accountId,
      paidBy: hold.holdId,
      tool: 'generate',
      refundCredits: 4,
      createdAt: t.clock.now(),
    });
    t.clock.advance(23 * HOUR); // the daily bucket has expired at midnight, the window is still open
    const r = await post(`/v1/items/${u.accountId}-tomorrow/dislike`, u.headers, {
      operationId: opId(),
    });
    expect(r.statusCode).toBe(201);
    const refund = (await get('/v1/ledger/entries?after=0', u.headers))
      .json()
      .entries.map((e: { body: string }) => JSON.parse(e.body))
      .find((b: { type: string }) => b.type === 'refund');
    expect(refund.splits).toEqual([]);
    expect(refund.newBucket).toMatchObject({ source: 'refund', amount: 4 });
    t.clock.advance(2 * HOUR);
    const late = await post(`/v1/items/${u.accountId}-late/dislike`, u.headers, {
      operationId: opId(),
    });
    expect(late.json().error.code).toBe('refund-window-closed');
  });

  it('never lets one account read or spend another account’s credits', async () => {
    const a = await funded(100);
    const b = await funded(0);
    const hold = (
      await post('/v1/ledger/holds', a.headers, { operationId: opId(), amount: 6, purpose: job })
    ).json();
    expect(
      (
        await post(`/v1/ledger/holds/${hold.holdId}/capture`, b.headers, {
          operationId: opId(),
          amount: 0,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await post(`/v1/ledger/holds/${hold.holdId}/release`, b.headers, { operationId: opId() }))
        .statusCode,
    ).toBe(404);
    await recordItem(t.db, {
      itemId: `${a.accountId}-x`,
      accountId: a.accountId,
      paidBy: hold.holdId,
      tool: 'generate',
      refundCredits: 4,
      createdAt: t.clock.now(),
    });
    expect(
      (await post(`/v1/items/${a.accountId}-x/dislike`, b.headers, { operationId: opId() }))
        .statusCode,
    ).toBe(404);
    const pulled = (await get('/v1/ledger/entries?after=0', b.headers)).json();
    expect(
      pulled.entries.every((e: { body: string }) => JSON.parse(e.body).accountId === b.accountId),
    ).toBe(true);
    expect(pulled.checkpoint.checkpoint.accountId).toBe(b.accountId);
    const device = (
      await post('/v1/devices', a.headers, {
        name: 'laptop',
        publicKey: generateKeyPair().publicKey,
      })
    ).json();
    expect(
      (
        await post('/v1/allowances', b.headers, {
          operationId: opId(),
          deviceId: device.deviceId,
          amount: 10,
        })
      ).statusCode,
    ).toBe(404);
    expect(await balance(a.headers)).toMatchObject({ held: 6 });
  });

  it('redeems a design for its quote, refuses a stale quote, and serves the file to owners only', async () => {
    const u = await funded(1000);
    const other = await funded(0);
    const { designs } = (await get('/v1/designs', u.headers)).json();
    const d = designs[0];
    expect(d.credits).toBe(d.priceCents); // 100 credits per dollar
    const version = (await get('/v1/price-book', {})).json().book.version;
    const seq = await headSeq(t.db, u.accountId);
    const stale = await post(`/v1/designs/${d.designId}/redeem`, u.headers, {
      operationId: opId(),
      expectedCredits: d.credits - 1,
      priceBookVersion: version,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.details.credits).toBe(d.credits);
    expect(await headSeq(t.db, u.accountId)).toBe(seq);
    expect((await get(`/v1/designs/${d.designId}/file`, u.headers)).statusCode).toBe(403);
    const ok = await post(`/v1/designs/${d.designId}/redeem`, u.headers, {
      operationId: opId(),
      expectedCredits: d.credits,
      priceBookVersion: version,
    });
    expect(ok.statusCode).toBe(201);
    const file = await get(`/v1/designs/${d.designId}/file`, u.headers);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('image/svg+xml');
    expect((await get(`/v1/designs/${d.designId}/file`, other.headers)).statusCode).toBe(403);
    expect(
      (
        await post(`/v1/designs/${d.designId}/redeem`, u.headers, {
          operationId: opId(),
          expectedCredits: d.credits,
          priceBookVersion: version,
        })
      ).json().error.code,
    ).toBe('already-owned');
    expect(
      (
        await post(`/v1/designs/${d.designId}/redeem`, other.headers, {
          operationId: opId(),
          expectedCredits: d.credits,
          priceBookVersion: version,
        })
      ).statusCode,
    ).toBe(402);
    expect((await get('/v1/designs', u.headers)).json().designs[0].owned).toBe(true);
  });

  it('two devices spending offline allowances never overdraw, and every voucher settles once', async () => {
    const u = await funded(300);
    const keys = [generateKeyPair(), generateKeyPair()];
    const devices = [];
    for (const k of keys)
      devices.push(
        (await post('/v1/devices', u.headers, { name: 'pc', publicKey: k.publicKey })).json(),
      );
    const available = (await balance(u.headers)).available;
    const a1 = await post('/v1/allowances', u.headers, {
      operationId: opId(),
      deviceId: devices[0].deviceId,
      amount: 200,
    });
    expect(a1.statusCode).toBe(201);
    const a2tooBig = await post('/v1/allowances', u.headers, {
      operationId: opId(),
      deviceId: devices[1].deviceId,
      amount: available - 199,
    });
    expect(a2tooBig.statusCode).toBe(402);
    const a2 = await post('/v1/allowances', u.headers, {
      operationId: opId(),
      deviceId: devices[1].deviceId,
      amount: available - 200,
    });
    expect(a2.statusCode).toBe(201);
    expect((await balance(u.headers)).available).toBe(0);

    const { designs } = (await get('/v1/designs', u.headers)).json();
    const cheap = designs.find((d: { credits: number }) => d.credits === 99);
    const v = (allowanceId: string, counter: number, design = cheap): Voucher => ({
      allowanceId,
      counter,
      amount: design.credits,
      itemId: `${design.designId}-${counter}`,
      purpose: { kind: 'design', designId: design.designId },
      at: t.clock.now(),
    });
    const al1 = a1.json().allowanceId;
    const al2 = a2.json().allowanceId;
    const sign = (voucher: Voucher, k = 0) => ({
      voucher,
      signature: signVoucher(voucher, keys[k]!.secretKey),
    });
    // device 2 settles first, then device 1; each replays once
    expect(available - 200).toBeLessThan(2 * 99); // device 2's allowance covers one design, not two
    const s2 = await post(`/v1/allowances/${al2}/settle`, u.headers, {
      operationId: opId(),
      vouchers: [sign(v(al2, 1), 1), sign(v(al2, 2), 1)],
    });
    expect(s2.json().vouchers).toEqual([
      { counter: 1, status: 'settled' },
      { counter: 2, status: 'rejected', code: 'over-allowance', message: expect.any(String) },
    ]);
    const s1 = await post(`/v1/allowances/${al1}/settle`, u.headers, {
      operationId: opId(),
      vouchers: [sign(v(al1, 1)), sign(v(al1, 2)), sign(v(al1, 3))],
    });
    expect(s1.json().vouchers.map((o: { status: string }) => o.status)).toEqual([
      'settled',
      'settled',
      'rejected',
    ]);
    const replay = await post(`/v1/allowances/${al1}/settle`, u.headers, {
      operationId: opId(),
      vouchers: [sign(v(al1, 2))],
    });
    expect(replay.json().vouchers[0].status).toBe('already-settled');
    const reused = await post(`/v1/allowances/${al1}/settle`, u.headers, {
      operationId: opId(),
      vouchers: [sign({ ...v(al1, 2), itemId: 'other' })],
    });
    expect(reused.json().vouchers[0]).toMatchObject({ status: 'rejected', code: 'counter-reused' });
    const forged = await post(`/v1/allowances/${al1}/settle`, u.headers, {
      operationId: opId(),
      vouchers: [sign(v(al1, 4), 1)],
    });
    expect(forged.json().vouchers[0].code).toBe('bad-signature');
    const ret = await post(`/v1/allowances/${al1}/return`, u.headers, { operationId: opId() });
    expect(ret.json()).toMatchObject({ status: 'closed', settled: 198 });
    const bal = await balance(u.headers);
    expect(bal.reserved).toBe(available - 200 - 99);
    expect(bal.balance).toBe(available - 198 - 99);
    expect(bal.available).toBeGreaterThanOrEqual(0);
    const flags = (await get('/v1/ledger/entries?after=0', u.headers))
      .json()
      .entries.map((e: { body: string }) => JSON.parse(e.body))
      .filter((b: { type: string }) => b.type === 'rejection');
    expect(flags).toHaveLength(1);
    expect(flags[0].code).toBe('voucher-counter-reused');
  });

  it('releases what is left of an allowance when it expires', async () => {
    const u = await funded(100);
    const dev = (
      await post('/v1/devices', u.headers, { name: 'pc', publicKey: generateKeyPair().publicKey })
    ).json();
    const before = await balance(u.headers);
    const al = (
      await post('/v1/allowances', u.headers, {
        operationId: opId(),
        deviceId: dev.deviceId,
        amount: 50,
        ttlSeconds: 3600,
      })
    ).json();
    expect((await balance(u.headers)).available).toBe(before.available - 50);
    t.clock.advance(2 * HOUR);
    await t.services.ledger.sweep();
    expect(await balance(u.headers)).toMatchObject({ reserved: 0 });
    const status = (await get(`/v1/allowances/${al.allowanceId}`, u.headers)).json();
    expect(status).toMatchObject({ status: 'closed', settled: 0 });
    const last = (await get('/v1/ledger/entries?after=0', u.headers))
      .json()
      .entries.map((e: { body: string }) => JSON.parse(e.body))
      .filter((b: { type: string }) => b.type === 'unreserve');
    expect(last).toEqual([
      expect.objectContaining({ allowanceId: al.allowanceId, amount: 50, reason: 'expired' }),
    ]);
  });

  it('applies device mutations in order, replays, waits on gaps, and records permanent refusals', async () => {
    const u = await funded(50);
    const k = generateKeyPair();
    const dev = (
      await post('/v1/devices', u.headers, { name: 'pc', publicKey: k.publicKey })
    ).json();
    const m = (mutationSeq: number, itemId: string) => ({
      mutationSeq,
      operationId: opId('mut'),
      op: { type: 'dislike', itemId },
    });
    const first = m(1, 'no-such-item');
    const r1 = (
      await post('/v1/sync/mutations', u.headers, {
        deviceId: dev.deviceId,
        mutations: [first, m(3, 'x')],
      })
    ).json();
    expect(r1.results).toEqual([
      { mutationSeq: 1, status: 'rejected', message: 'item not found' },
      { mutationSeq: 3, status: 'skipped', message: 'waiting for mutation 2' },
    ]);
    expect(r1.lastMutationSeq).toBe(1);
    const r2 = (
      await post('/v1/sync/mutations', u.headers, { deviceId: dev.deviceId, mutations: [first] })
    ).json();
    expect(r2.results[0]).toMatchObject({ mutationSeq: 1, status: 'replayed' });
    const last = (await get('/v1/ledger/entries?after=0', u.headers)).json().entries.at(-1);
    expect(JSON.parse(last.body)).toMatchObject({
      type: 'rejection',
      deviceId: dev.deviceId,
      mutationSeq: 1,
      code: 'not-found',
    });
  });

  it('stores with each entry the balances after it, also for several entries in one write', async () => {
    const u = await funded();
    const hold = (amount: number) =>
      post('/v1/ledger/holds', u.headers, { operationId: opId(), amount, purpose: job });
    expect((await hold(6)).statusCode).toBe(201);
    // The next day's first write appends the expiry of yesterday's daily credits and of the
    // open hold, today's daily grant and the new hold: four entries, each with its balances.
    t.clock.advance(DAY);
    expect((await hold(7)).statusCode).toBe(201);
    const { rows } = await t.db.query<{ seq: number; body: string; balances_after: string }>(
      'select seq, body, balances_after from entries where account_id = $1 order by seq',
      [u.accountId],
    );
    expect(rows.length).toBeGreaterThanOrEqual(7);
    const fold = new WalletFold();
    for (const row of rows) {
      const body = JSON.parse(row.body) as EntryBody;
      fold.apply(body);
      expect({ seq: row.seq, balances: JSON.parse(row.balances_after) }).toEqual({
        seq: row.seq,
        balances: balancesOf(fold.view(body.at)),
      });
    }
  });

  it('pages the chain in dense batches whose bodies arrive byte for byte, whatever text they hold', async () => {
    const u = await signUp(t.app);
    const reasons = [
      'quote " backslash \\ slash / newline \n tab \t bell \u0007',
      'unicode é ß 漢字 😀 and separators \u2028 \u2029',
      '</script><!-- {"seq":1,"accountId":"someone-else"} -->',
    ];
    for (const reason of reasons) {
      await t.services.ledger.grant(u.accountId, {
        operationId: opId(),
        amount: 1,
        source: 'promo',
        reason,
      });
    }
    const { rows } = await t.db.query<{ seq: number; hash: string; body: string }>(
      'select seq, hash, body from entries where account_id = $1 order by seq',
      [u.accountId],
    );
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const keys = (await get('/v1/keys', {})).json().keys;
    const pulled: Array<{ seq: number; hash: string; body: string }> = [];
    let from: ChainHead = GENESIS;
    for (;;) {
      const res = await get(`/v1/ledger/entries?after=${from.seq}&limit=2`, u.headers);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const page = PullResponse.parse(res.json());
      expect(page.entries.length).toBe(Math.min(2, rows.length - from.seq));
      const verdict = verifyChain(page.entries, page.checkpoint, keys, {
        from,
        accountId: u.accountId,
      });
      expect(verdict).toMatchObject({ ok: true });
      if (!verdict.ok) break;
      pulled.push(...page.entries);
      from = verdict.head;
      if (from.seq >= page.headSeq) break;
    }
    expect(pulled).toEqual(rows);
    const decoded = pulled.map((e) => JSON.parse(e.body) as { reason?: string });
    expect(
      decoded.filter((b) => b.reason !== undefined && reasons.includes(b.reason)),
    ).toHaveLength(3);
    // At the head the page is empty and its checkpoint signs the head itself.
    const empty = PullResponse.parse(
      (await get(`/v1/ledger/entries?after=${from.seq}`, u.headers)).json(),
    );
    expect(empty.entries).toEqual([]);
    expect(empty.checkpoint.checkpoint).toMatchObject({ seq: from.seq, head: from.hash });
  });

  it('publishes its keys, and signs every pull with the active one', async () => {
    const keys = (await get('/v1/keys', {})).json().keys;
    expect(keys).toHaveLength(1);
    const u = await signUp(t.app);
    const pull = (await get('/v1/ledger/entries?after=0', u.headers)).json();
    expect(pull.checkpoint.checkpoint.keyId).toBe(keys[0].keyId);
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json().paths[
        '/v1/ledger/holds'
      ].post.requestBody,
    ).toBeDefined();
  });
});
