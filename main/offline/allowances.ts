import { createHash, randomUUID } from 'node:crypto';
import { AllowanceResponse, type Mutation } from '../../shared/api/ledger';
import { canonicalize } from '../../shared/canonical/jcs';
import type { KeyPair } from '../../shared/crypto/ed25519';
import type { AllowanceState } from '../../shared/ipc/types';
import type { Voucher } from '../../shared/ledger/entry';
import { excerpt } from '../../shared/ledger/summary';
import type { Logger } from '../../shared/log/logger';
import type { HttpClient } from '../clients/http';
import { easelError, isOfflineError } from '../core/errors';
import { noSteps, type StepHook } from '../core/steps';
import type { JournalStore, StoreTx } from '../storage/journal-store';
import { parseRecord } from '../storage/records';
import type { KeyRing } from '../sync/key-ring';
import type { MutationResult, Outbox } from '../sync/outbox';
import { AllowanceHeader, emptyHeader, recordKey, VoucherRecord } from './device-records';
import { signVoucherFast } from './voucher-signer';
import {
  checkReserveProof,
  EntryProof,
  fetchReserveProof,
  type VerifiedReserve,
} from './reserve-proof';

export interface AllowanceDeps {
  http: HttpClient;
  store: JournalStore;
  deviceId: string;
  accountId: string;
  /** The device's signing key; throws `device-key-unreadable` when it cannot be read. */
  key: () => Promise<KeyPair>;
  keyRing: KeyRing;
  outbox: Outbox;
  online: () => boolean;
  now: () => Date;
  onChange: (state: AllowanceState | null) => void;
  /** Designs whose offline redemption the server refused: their local "owned" mark goes. */
  onRefused: (designIds: string[]) => Promise<void>;
  onStep?: StepHook;
  log: Logger;
}

type Source = Pick<StoreTx, 'get' | 'keys'>;

/** A voucher's operation id carries its content hash: a reused counter reaches the server's own check. */
export const voucherOperationId = (v: Voucher): string =>
  `settle-${v.allowanceId}-${v.counter}-${createHash('sha256').update(canonicalize(v)).digest('hex').slice(0, 16)}`;

/**
 * Offline spending (docs/architecture.md §5). Online, the device takes an allowance: the server
 * writes a reserve entry, and main keeps that entry with a checkpoint signed at it. Offline,
 * the device spends with vouchers it signs, counter by counter, bounded by what the signed
 * reserve entry says — its amount, its expiry, the device key it names — never by a figure in
 * an editable file. A voucher, its counter and its outbox entry are one commit. The server's
 * verdict on each voucher is kept and shown; a refused one undoes its local claim.
 */
export class Allowances {
  /** Reserve entries verified in this run, by allowance id. */
  private readonly verified = new Map<string, VerifiedReserve>();
  private blocked: string | null = null;
  /** Designs refused in the last results, told once their commit is durable. */
  private refused: string[] = [];
  /** This device's vouchers as committed, read once from the store and kept up to date. */
  private cache: VoucherRecord[] | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: AllowanceDeps) {}

  /** The allowance as shown; online, the server's figures are fetched first. */
  async state(): Promise<AllowanceState | null> {
    if (this.deps.online()) await this.refreshFromServer();
    await this.checkSpendable();
    return this.view();
  }

  /** Finds what would stop a spend now (shown as `blockedReason`; a spend reports it too). */
  private async checkSpendable(): Promise<void> {
    const current = this.header().current;
    if (!current || current.status === 'closed') {
      this.blocked = null;
      return;
    }
    try {
      const reserve = await this.reserveOf(current);
      const key = await this.deps.key();
      this.blocked =
        reserve && reserve.devicePublicKey !== key.publicKey
          ? "This allowance was reserved for this device's previous key: return it and take a new one."
          : null;
    } catch (error) {
      this.blocked = messageOf(error);
    }
  }

  async take(kind: string, amount: number, days: number): Promise<AllowanceState> {
    return this.serial(async () => {
      const { store } = this.deps;
      const before = this.header();
      const current = before.current;
      if (
        current &&
        current.status === 'open' &&
        current.server?.status !== 'closed' &&
        !this.expired(current.claimed.expiresAt)
      ) {
        const state = this.view();
        if (state) return state;
      }
      const key = await this.deps.key(); // an unreadable key takes no allowance it cannot spend
      const pending = before.pendingTake ?? {
        operationId: `allowance-${randomUUID()}`,
        amount,
        ttlSeconds: days * 86_400,
      };
      await store.transaction((tx) =>
        tx.put(this.headerKey, { ...this.header(tx), pendingTake: pending }),
      ); // the operation id survives a crash before the answer
      const res = await this.deps.http.json('POST', '/v1/allowances', {
        schema: AllowanceResponse,
        body: {
          operationId: pending.operationId,
          deviceId: this.deps.deviceId,
          kind,
          amount: pending.amount,
          ttlSeconds: pending.ttlSeconds,
        },
      });
      await store.transaction((tx) => {
        // Vouchers of earlier allowances that settled are done with; refusals stay on show.
        for (const k of tx.keys(recordKey.vouchers(this.deps.deviceId))) {
          const v = parseRecord(VoucherRecord, tx.get(k), k);
          if (v.status === 'settled' && v.signed.voucher.allowanceId !== res.allowanceId)
            tx.delete(k);
        }
        tx.put(this.headerKey, {
          pendingTake: null,
          current: {
            allowanceId: res.allowanceId,
            reserveSeq: res.seq,
            counter: 0,
            status: res.status,
            claimed: { kind: res.kind, amount: res.amount, expiresAt: res.expiresAt },
            server: null,
          },
        } satisfies AllowanceHeader);
      });
      this.cache = null;
      // Verify the reserve entry now, while online: offline there is no way to.
      let reserve: VerifiedReserve | null = null;
      try {
        reserve = await this.reserveOf(this.header().current);
      } catch (error) {
        if (!isOfflineError(error)) throw error; // a reserve that fails verification
        this.blocked = messageOf(error);
      }
      if (reserve && reserve.devicePublicKey !== key.publicKey) {
        throw easelError(
          'allowance-unverified',
          'The server reserved this allowance for another key of this device.',
        );
      }
      return this.changed();
    }).then((s) => {
      if (!s) throw easelError('internal', 'the allowance was not recorded');
      return s;
    });
  }

  /** Signs a voucher for an offline design redemption; returns its counter. */
  /** `title`: the design's name, carried in the voucher for History (docs/architecture.md §2). */
  async spend(designId: string, credits: number, title?: string): Promise<number> {
    const step = this.deps.onStep ?? noSteps;
    const start = this.header().current;
    if (!start || start.status !== 'open')
      throw easelError('no-allowance', 'you are offline and have no offline allowance');
    const reserve = await this.reserveOf(start);
    if (!reserve) throw easelError('no-allowance', 'you are offline and have no offline allowance');
    const key = await this.deps.key();
    if (reserve.devicePublicKey !== key.publicKey) {
      throw easelError(
        'allowance-unverified',
        "This allowance was reserved for this device's previous key, so new vouchers could never settle. Return it and take a new one.",
      );
    }
    const { counter, record } = await this.deps.store.transaction(async (tx) => {
      const current = this.header(tx).current;
      if (!current || current.allowanceId !== reserve.allowanceId || current.status !== 'open')
        throw easelError('no-allowance', 'you are offline and have no offline allowance');
      if (current.server?.status === 'closed')
        throw easelError('no-allowance', 'the server has closed this offline allowance');
      if (this.expired(reserve.expiresAt)) {
        throw easelError(
          'allowance-expired',
          `the offline allowance expired at ${reserve.expiresAt}`,
        );
      }
      const mine = this.committed().filter(
        (v) => v.signed.voucher.allowanceId === reserve.allowanceId,
      );
      const spent = spentOf(mine, current.server?.settled ?? 0);
      if (spent + credits > reserve.amount) {
        throw easelError(
          'allowance-exceeded',
          `this needs ${credits} credits but only ${Math.max(0, reserve.amount - spent)} are left in the offline allowance`,
        );
      }
      // Never below a counter already used, whatever the header says.
      const next = Math.max(current.counter, ...mine.map((v) => v.signed.voucher.counter)) + 1;
      const voucher: Voucher = {
        allowanceId: reserve.allowanceId,
        counter: next,
        amount: credits,
        itemId: `offline.${designId}.${next}`.slice(0, 128),
        purpose: excerpt(title ?? '', 120)
          ? { kind: 'design', designId, title: excerpt(title ?? '', 120) }
          : { kind: 'design', designId },
        at: this.deps.now().toISOString(),
      };
      const signed = { voucher, signature: signVoucherFast(voucher, key.secretKey) };
      const operationId = voucherOperationId(voucher);
      const record: VoucherRecord = {
        signed,
        operationId,
        status: 'pending',
        code: null,
        message: null,
      };
      tx.put(recordKey.voucher(this.deps.deviceId, reserve.allowanceId, next), record);
      tx.put(this.headerKey, { ...this.header(tx), current: { ...current, counter: next } });
      this.deps.outbox.stage(
        tx,
        { type: 'settle-vouchers', allowanceId: reserve.allowanceId, vouchers: [signed] },
        operationId,
      );
      await step('spend:signed');
      return { counter: next, record };
    });
    this.cache?.push(record); // committed
    await step('spend:committed');
    // Offline, the reconnect sends it (the connectivity probe kicks the outbox).
    if (this.deps.online()) this.deps.outbox.kick();
    this.changed();
    return counter;
  }

  /** Gives back what is left: queued after any pending settlements, so they go first. */
  async giveBack(): Promise<AllowanceState | null> {
    return this.serial(async () => {
      await this.deps.store.transaction((tx) => this.close(tx));
      this.deps.outbox.kick();
      return this.changed();
    });
  }

  /**
   * Stops spending from the open allowance (returned on the server after what is queued):
   * used when the device key changes, as new vouchers could not be verified against it.
   */
  close(tx: StoreTx): void {
    const header = this.header(tx);
    const a = header.current;
    if (!a || a.status === 'closed') return;
    this.deps.outbox.stage(
      tx,
      { type: 'return-allowance', allowanceId: a.allowanceId },
      `return-${a.allowanceId}`.slice(0, 128),
    );
    tx.put(this.headerKey, { ...header, current: { ...a, status: 'closed' } });
  }

  /**
   * Queues again, under their fixed ids, signed vouchers that are pending but in no queued
   * mutation (a store imported from an older version, a salvaged one). Run on open.
   */
  requeuePending(tx: StoreTx): number {
    const queued = new Set(this.deps.outbox.pending(tx).map((m) => m.operationId));
    let n = 0;
    for (const v of this.vouchers(tx)) {
      if (v.status !== 'pending' || queued.has(v.operationId)) continue;
      this.deps.outbox.stage(
        tx,
        {
          type: 'settle-vouchers',
          allowanceId: v.signed.voucher.allowanceId,
          vouchers: [v.signed],
        },
        v.operationId,
      );
      n++;
    }
    return n;
  }

  /** The outbox heard back about a mutation: record each voucher's verdict (same commit). */
  onMutationResult(tx: StoreTx, mutation: Mutation, result: MutationResult): void {
    if (mutation.op.type !== 'settle-vouchers') return;
    const refused: string[] = [];
    for (const s of mutation.op.vouchers) {
      const v = s.voucher;
      const key = recordKey.voucher(this.deps.deviceId, v.allowanceId, v.counter);
      const stored = tx.get(key);
      if (stored === undefined) continue;
      const record = parseRecord(VoucherRecord, stored, key);
      // Only the voucher this mutation carried: a reused counter's other voucher is not it.
      if (record.operationId !== mutation.operationId) continue;
      const outcome = result.vouchers?.find((o) => o.counter === v.counter);
      if (result.status === 'rejected' || outcome?.status === 'rejected') {
        tx.put(key, {
          ...record,
          status: 'rejected',
          code: outcome?.code ?? 'rejected',
          message: outcome?.message ?? result.message ?? 'the server refused this voucher',
        } satisfies VoucherRecord);
        if (v.purpose.kind === 'design') refused.push(v.purpose.designId);
      } else {
        tx.put(key, { ...record, status: 'settled', code: null, message: null });
      }
    }
    this.refused.push(...refused);
  }

  /** The verdicts are durable: undo refused claims and show the new figures. */
  async afterResults(): Promise<void> {
    this.cache = null; // verdicts changed records: read them again
    const refused = this.refused.splice(0);
    if (refused.length > 0) await this.deps.onRefused(refused);
    this.changed();
  }

  /** Online: the server's settled figure and status, kept as a floor for what is shown and spent. */
  private async refreshFromServer(): Promise<void> {
    const current = this.header().current;
    if (!current) return;
    try {
      const res = await this.deps.http.json(
        'GET',
        `/v1/allowances/${encodeURIComponent(current.allowanceId)}`,
        { schema: AllowanceResponse },
      );
      await this.deps.store.transaction((tx) => {
        const header = this.header(tx);
        if (header.current?.allowanceId !== res.allowanceId) return;
        tx.put(this.headerKey, {
          ...header,
          current: {
            ...header.current,
            status: res.status === 'closed' ? 'closed' : header.current.status,
            server: {
              settled: res.settled,
              status: res.status,
              checkedAt: this.deps.now().toISOString(),
            },
          },
        });
      });
    } catch (error) {
      // Offline now: the figures stay as last known. Anything else is worth a line in the log.
      if (!isOfflineError(error))
        this.deps.log.warn({ err: error }, 'could not refresh the allowance from the server');
    }
  }

  /**
   * The signed reserve entry of an allowance, verified against main's key ring: from the
   * device state when stored, else fetched (online) and stored. Null when there is none.
   */
  private async reserveOf(current: AllowanceHeader['current']): Promise<VerifiedReserve | null> {
    if (!current) return null;
    const memo = this.verified.get(current.allowanceId);
    if (memo) return memo;
    const key = recordKey.reserve(current.allowanceId);
    const stored = this.deps.store.get(key);
    let reserve: VerifiedReserve;
    if (stored !== undefined) {
      const proof = parseRecord(EntryProof, stored, key);
      const keys = await this.deps.keyRing
        .withKey(proof.checkpoint.checkpoint.keyId)
        .catch(async (error: unknown) => {
          if (!isOfflineError(error)) throw error;
          return this.deps.keyRing.current(); // offline: the cached ring decides
        });
      const check = checkReserveProof(proof, keys, this.deps.accountId);
      if (!check.ok) {
        throw easelError(
          'allowance-unverified',
          `The stored offline allowance does not match the signed ledger (${check.message}); offline spending is stopped. Return it online and take a new one.`,
        );
      }
      reserve = check.reserve;
    } else if (current.reserveSeq === null) {
      throw easelError(
        'allowance-unverified',
        'This offline allowance came from an older version of Easel and cannot be verified; it is being returned. Take a new one.',
      );
    } else {
      if (!this.deps.online()) {
        throw easelError(
          'allowance-unverified',
          'The offline allowance was not verified against the signed ledger before the connection dropped; connect once to verify it.',
        );
      }
      const fetched = await fetchReserveProof(
        this.deps.http,
        this.deps.keyRing,
        this.deps.accountId,
        current.reserveSeq,
      );
      reserve = fetched.reserve;
      if (reserve.allowanceId === current.allowanceId)
        await this.deps.store.transaction((tx) => tx.put(key, fetched.proof));
    }
    if (reserve.allowanceId !== current.allowanceId || reserve.deviceId !== this.deps.deviceId) {
      throw easelError(
        'allowance-unverified',
        `The signed reserve entry at seq ${reserve.seq} is not this device's allowance ${current.allowanceId}.`,
      );
    }
    this.verified.set(current.allowanceId, reserve);
    this.blocked = null;
    return reserve;
  }

  private get headerKey(): string {
    return recordKey.allowance(this.deps.deviceId);
  }

  private header(source: Source = this.deps.store): AllowanceHeader {
    const value = source.get(this.headerKey);
    return value === undefined ? emptyHeader : parseRecord(AllowanceHeader, value, this.headerKey);
  }

  /** This device's vouchers, of one allowance or of all. */
  private vouchers(source: Source = this.deps.store, allowanceId?: string): VoucherRecord[] {
    const prefix = allowanceId
      ? recordKey.vouchersOf(this.deps.deviceId, allowanceId)
      : recordKey.vouchers(this.deps.deviceId);
    return source.keys(prefix).map((k) => parseRecord(VoucherRecord, source.get(k), k));
  }

  private committed(): VoucherRecord[] {
    this.cache ??= this.vouchers();
    return this.cache;
  }

  private view(): AllowanceState | null {
    const c = this.header().current;
    return c
      ? allowanceView(c, this.verified.get(c.allowanceId) ?? null, this.committed(), this.blocked)
      : null;
  }

  private changed(): AllowanceState | null {
    const state = this.view();
    this.deps.onChange(state);
    return state;
  }

  private expired(expiresAt: string): boolean {
    return this.deps.now().getTime() >= Date.parse(expiresAt);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    // The caller gets the failure; the chain only orders the next take or return after it.
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/**
 * The allowance as the window sees it, personal or a team's (docs/architecture.md §5): the
 * verified reserve's figures where there is one, else what the header claimed; what was spent
 * offline, settled, waiting and refused, from this device's voucher records.
 */
export function allowanceView(
  c: NonNullable<AllowanceHeader['current']>,
  reserve: VerifiedReserve | null,
  all: readonly VoucherRecord[],
  blockedReason: string | null,
): AllowanceState {
  const mine = all.filter((v) => v.signed.voucher.allowanceId === c.allowanceId);
  const serverSettled = c.server?.settled ?? 0;
  return {
    allowanceId: c.allowanceId,
    kind: reserve?.kind ?? c.claimed.kind,
    amount: reserve?.amount ?? c.claimed.amount,
    spentOffline: spentOf(mine, serverSettled),
    settled: Math.max(sum(mine.filter((v) => v.status === 'settled')), serverSettled),
    expiresAt: reserve?.expiresAt ?? c.claimed.expiresAt,
    status: c.status === 'closed' || c.server?.status === 'closed' ? 'closed' : 'open',
    pendingVouchers: mine.filter((v) => v.status === 'pending').length,
    rejected: all
      .filter((v) => v.status === 'rejected')
      .map((v) => ({
        counter: v.signed.voucher.counter,
        code: v.code ?? 'rejected',
        message: v.message ?? 'refused by the server',
        allowanceId: v.signed.voucher.allowanceId,
        designId:
          v.signed.voucher.purpose.kind === 'design' ? v.signed.voucher.purpose.designId : null,
      })),
    verified: reserve !== null,
    blockedReason,
  };
}

export const sum = (vs: readonly VoucherRecord[]): number =>
  vs.reduce((t, v) => t + v.signed.voucher.amount, 0);

/**
 * What an allowance has spent: the vouchers signed here that were not refused, and never less
 * than what the server has settled plus what is still on its way to it.
 */
export const spentOf = (vs: readonly VoucherRecord[], serverSettled: number): number =>
  Math.max(
    sum(vs.filter((v) => v.status !== 'rejected')),
    serverSettled + sum(vs.filter((v) => v.status === 'pending')),
  );

export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
