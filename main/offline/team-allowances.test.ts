import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../shared/crypto/ed25519';
import { createLogger } from '../../shared/log/logger';
import { verifyVoucher } from '../../shared/ledger/voucher';
import type { HttpClient } from '../clients/http';
import type { TeamAllowanceInChain } from '../clients/teams';
import { JournalStore } from '../storage/journal-store';
import { parseRecord } from '../storage/records';
import { recordKey, VoucherRecord } from './device-records';
import { TeamAllowances } from './team-allowances';

// docs/architecture.md §5, §14: the team allowance records in main's device state store, and
// what bounds an offline spend from them (the reserve entry of the verified team chain).
describe('team allowances in the device state store (offline)', () => {
  let dir: string;
  let store: JournalStore;
  const key = generateKeyPair();
  const deviceId = 'dev_1';
  const teamId = 'team_1';
  const memberId = 'acct_member';
  let inChain: TeamAllowanceInChain | null;

  const open = (chainSays: () => TeamAllowanceInChain | null = () => inChain) =>
    new TeamAllowances({
      http: {} as HttpClient, // offline: never called
      store,
      chains: {
        refreshChain: async () => undefined,
        storedAllowance: async () => chainSays(),
      },
      deviceId,
      memberId,
      key: async () => key,
      online: () => false,
      now: () => new Date('2026-12-02T10:00:00.000Z'),
      onRefused: async () => undefined,
      log: createLogger('off'),
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'easel-team-allowance-'));
    store = await JournalStore.open(dir, { log: createLogger('off') });
    inChain = {
      reserve: {
        allowanceId: 'al_1',
        deviceId,
        devicePublicKey: key.publicKey,
        kind: 'image',
        amount: 250,
        expiresAt: '2026-12-09T10:00:00.000Z',
        seq: 7,
      },
      memberId,
      settled: 0,
      closed: false,
    };
    // What a take leaves behind: the header, with a claimed amount the owner may have edited.
    await store.transaction((tx) =>
      tx.put(recordKey.teamAllowance(deviceId, teamId), {
        pendingTake: null,
        current: {
          allowanceId: 'al_1',
          reserveSeq: 7,
          counter: 0,
          status: 'open',
          claimed: { kind: 'image', amount: 5000, expiresAt: '2027-12-09T10:00:00.000Z' },
          server: null,
        },
      }),
    );
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const vouchers = () =>
    store
      .keys(recordKey.teamVouchers(deviceId, teamId))
      .map((k) => parseRecord(VoucherRecord, store.get(k), k));

  it('spends within the signed reserve, counter by counter, with vouchers naming team, member and project', async () => {
    const team = open();
    const spends = await Promise.allSettled(
      [1, 2, 3].map(() => team.spend(teamId, 'prj_1', 'design-confetti', 99, 'Confetti')),
    );
    expect(spends.filter((s) => s.status === 'fulfilled').map((s) => s.value)).toEqual([1, 2]);
    const refused = spends.find((s) => s.status === 'rejected');
    expect(refused?.status === 'rejected' && (refused.reason as { code: string }).code).toBe(
      'allowance-exceeded',
    );
    const kept = vouchers();
    expect(kept.map((v) => v.signed.voucher.counter)).toEqual([1, 2]);
    for (const v of kept) {
      expect(v.signed.voucher.team).toEqual({ teamId, memberId, projectId: 'prj_1' });
      expect(verifyVoucher(v.signed.voucher, v.signed.signature, key.publicKey)).toBe(true);
    }
    expect(team.pendingCredits(teamId)).toBe(198);
    expect(team.teamsWithPending()).toEqual([teamId]);
    // The personal allowance's records are untouched.
    expect(store.keys(recordKey.vouchers(deviceId))).toEqual([]);
    expect(store.get(recordKey.allowance(deviceId))).toBeUndefined();
  });

  it('a counter set back in the header never reuses one kept', async () => {
    const team = open();
    await team.spend(teamId, null, 'design-confetti', 99);
    await store.transaction((tx) => {
      const k = recordKey.teamAllowance(deviceId, teamId);
      const h = tx.get(k) as { current: Record<string, unknown> };
      tx.put(k, { ...h, current: { ...h.current, counter: 0 } });
    });
    expect(await open().spend(teamId, null, 'design-confetti', 99)).toBe(2);
  });

  it('refuses a reserve for another device or member, and stops after closeAll', async () => {
    const reserve = inChain!.reserve;
    const other = open(() => ({ ...inChain!, reserve: { ...reserve, deviceId: 'dev_2' } }));
    await expect(other.spend(teamId, null, 'design-confetti', 99)).rejects.toMatchObject({
      code: 'allowance-unverified',
    });
    const someoneElse = open(() => ({ ...inChain!, memberId: 'acct_other' }));
    await expect(someoneElse.spend(teamId, null, 'design-confetti', 99)).rejects.toMatchObject({
      code: 'allowance-unverified',
    });
    const none = open(() => null);
    await expect(none.spend(teamId, null, 'design-confetti', 99)).rejects.toMatchObject({
      code: 'allowance-unverified',
    });
    const team = open();
    await store.transaction((tx) => team.closeAll(tx));
    await expect(team.spend(teamId, null, 'design-confetti', 99)).rejects.toMatchObject({
      code: 'no-allowance',
    });
    expect(vouchers()).toEqual([]);
  });
});
