import { createHash, randomUUID } from 'node:crypto';
import { AllowanceResponse } from '../../shared/api/ledger';
import { TeamSettleResponse } from '../../shared/api/teams';
import type { KeyPair } from '../../shared/crypto/ed25519';
import type { AllowanceState } from '../../shared/ipc/types';
import type { Voucher } from '../../shared/ledger/entry';
import { excerpt } from '../../shared/ledger/summary';
import type { Logger } from '../../shared/log/logger';
import type { HttpClient } from '../clients/http';
import type { TeamAllowanceInChain } from '../clients/teams';
import { EaselError } from '../../shared/ipc/contract';
import { easelError, isOfflineError } from '../core/errors';
import type { JournalStore, StoreTx } from '../storage/journal-store';
import { parseRecord } from '../storage/records';
import { allowanceView, messageOf, spentOf, sum, voucherOperationId } from './allowances';
import { AllowanceHeader, emptyHeader, recordKey, VoucherRecord } from './device-records';
import type { VerifiedReserve } from './reserve-proof';
import { signVoucherFast } from './voucher-signer';

/** The verified team chains main keeps (main/clients/teams.ts). */
export interface TeamChains {
  /** Pulls the team chain from the server, verifies it and stores it (online only). */
  refreshChain(teamId: string): Promise<void>;
  /** The allowance as the stored chain, verified again from genesis, says it; null if absent. */
  storedAllowance(teamId: string, allowanceId: string): Promise<TeamAllowanceInChain | null>;
}

export interface TeamAllowanceDeps {
  http: HttpClient;
  store: JournalStore;
  chains: TeamChains;
  deviceId: string;
  /** The signed-in account: the member the reserve and the vouchers name. */
  memberId: string;
  key: () => Promise<KeyPair>;
  online: () => boolean;
  now: () => Date;
  /** Designs whose offline redemption the server refused: their local "owned" mark goes. */
  onRefused: (designIds: string[]) => Promise<void>;
  log: Logger;
}

type Source = Pick<StoreTx, 'get' | 'keys'>;

/**
 * Offline spending from a team wallet (docs/architecture.md §5, §14): this device's allowance
 * on each team, kept apart from the personal one in the device state store. Its reserve entry
 * is found in the team chain main verified and keeps on disk (verified again from genesis before
 * it is trusted), and bounds what is spent: amount, expiry, device key and member. Vouchers name
 * the team, the member and the project; a voucher and its counter are one commit. Back online
 * they go to the team's settle route, and each verdict is kept with its voucher.
 */
export class TeamAllowances {
  private readonly verified = new Map<string, VerifiedReserve>();
  private readonly blocked = new Map<string, string | null>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: TeamAllowanceDeps) {}

  /** The team allowance as shown; online, pending vouchers go first and the chain is pulled. */
  async state(teamId: string): Promise<AllowanceState | null> {
    if (this.deps.online()) {
      await this.flush(teamId).catch((error: unknown) => {
        if (!isOfflineError(error))
          this.deps.log.warn({ err: error, teamId }, 'settling team vouchers failed');
      });
      await this.refresh(teamId);
    }
    const current = this.header(teamId).current;
    if (current && current.status === 'open') {
      try {
        const reserve = await this.reserveOf(teamId, current);
        const key = await this.deps.key();
        this.blocked.set(
          teamId,
          reserve.devicePublicKey === key.publicKey
            ? null
            : "This team allowance was reserved for this device's previous key: return it and take a new one.",
        );
      } catch (error) {
        this.blocked.set(teamId, messageOf(error));
      }
    }
    return this.view(teamId);
  }

  async take(teamId: string, kind: string, amount: number, days: number): Promise<AllowanceState> {
    return this.serial(async () => {
      const before = this.header(teamId);
      const current = before.current;
      if (
        current &&
        current.status === 'open' &&
        current.server?.status !== 'closed' &&
        !this.expired(current.claimed.expiresAt)
      ) {
        const state = this.view(teamId);
        if (state) return state;
      }
      const key = await this.deps.key();
      const pending = before.pendingTake ?? {
        operationId: `team-allowance-${randomUUID()}`,
        amount,
        ttlSeconds: days * 86_400,
      };
      await this.deps.store.transaction((tx) =>
        tx.put(this.headerKey(teamId), { ...this.header(teamId, tx), pendingTake: pending }),
      ); // the operation id survives a crash before the answer
      const res = await this.deps.http.json('POST', `/v1/teams/${enc(teamId)}/allowances`, {
        schema: AllowanceResponse,
        body: {
          operationId: pending.operationId,
          deviceId: this.deps.deviceId,
          kind,
          amount: pending.amount,
          ttlSeconds: pending.ttlSeconds,
        },
      });
      await this.deps.store.transaction((tx) => {
        // Settled vouchers of this team's earlier allowances are done with; refusals stay.
        for (const k of tx.keys(recordKey.teamVouchers(this.deps.deviceId, teamId))) {
          const v = parseRecord(VoucherRecord, tx.get(k), k);
          if (v.status === 'settled' && v.signed.voucher.allowanceId !== res.allowanceId)
            tx.delete(k);
        }
        tx.put(this.headerKey(teamId), {
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
      // Verify the reserve entry in the team chain now, while online: offline there is no way to.
      await this.deps.chains.refreshChain(teamId);
      const reserve = await this.reserveOf(teamId, this.header(teamId).current);
      if (reserve.devicePublicKey !== key.publicKey)
        throw easelError(
          'allowance-unverified',
          'The server reserved this team allowance for another key of this device.',
        );
      this.blocked.set(teamId, null);
      const state = this.view(teamId);
      if (!state) throw easelError('internal', 'the team allowance was not recorded');
      return state;
    });
  }

  /**
   * Signs a voucher for an offline design redemption on the team wallet, naming the team, this
   * member and the project; returns its counter.
   */
  async spend(
    teamId: string,
    projectId: string | null,
    designId: string,
    credits: number,
    title?: string,
  ): Promise<number> {
    const start = this.header(teamId).current;
    if (!start || start.status !== 'open')
      throw easelError(
        'no-allowance',
        'you are offline and have no offline allowance on this team',
      );
    const reserve = await this.reserveOf(teamId, start);
    const key = await this.deps.key();
    if (reserve.devicePublicKey !== key.publicKey)
      throw easelError(
        'allowance-unverified',
        "This team allowance was reserved for this device's previous key, so new vouchers could never settle. Return it and take a new one.",
      );
    const counter = await this.deps.store.transaction((tx) => {
      const current = this.header(teamId, tx).current;
      if (!current || current.allowanceId !== reserve.allowanceId || current.status !== 'open')
        throw easelError(
          'no-allowance',
          'you are offline and have no offline allowance on this team',
        );
      if (current.server?.status === 'closed')
        throw easelError('no-allowance', 'the server has closed this team allowance');
      if (this.expired(reserve.expiresAt))
        throw easelError('allowance-expired', `the team allowance expired at ${reserve.expiresAt}`);
      const mine = this.vouchers(teamId, tx).filter(
        (v) => v.signed.voucher.allowanceId === reserve.allowanceId,
      );
      const spent = spentOf(mine, current.server?.settled ?? 0);
      if (spent + credits > reserve.amount)
        throw easelError(
          'allowance-exceeded',
          `this needs ${credits} credits but only ${Math.max(0, reserve.amount - spent)} are left in the team allowance`,
        );
      // Never below a counter already used, whatever the header says.
      const next = Math.max(current.counter, ...mine.map((v) => v.signed.voucher.counter)) + 1;
      const named = excerpt(title ?? '', 120);
      const voucher: Voucher = {
        allowanceId: reserve.allowanceId,
        counter: next,
        amount: credits,
        itemId: `offline.${designId}.${next}`.slice(0, 128),
        purpose: named ? { kind: 'design', designId, title: named } : { kind: 'design', designId },
        at: this.deps.now().toISOString(),
        team: { teamId, memberId: this.deps.memberId, projectId },
      };
      tx.put(recordKey.teamVoucher(this.deps.deviceId, teamId, reserve.allowanceId, next), {
        signed: { voucher, signature: signVoucherFast(voucher, key.secretKey) },
        operationId: voucherOperationId(voucher),
        status: 'pending',
        code: null,
        message: null,
      } satisfies VoucherRecord);
      tx.put(this.headerKey(teamId), {
        ...this.header(teamId, tx),
        current: { ...current, counter: next },
      });
      return next;
    });
    if (this.deps.online())
      void this.flush(teamId).catch((error: unknown) => {
        if (!isOfflineError(error))
          this.deps.log.warn({ err: error, teamId }, 'settling team vouchers failed');
      });
    return counter;
  }

  /**
   * Stops spending from every open team allowance of this device (after a salvaged store, whose
   * last counters may be lost): no counter is reused; the server releases the rest at expiry.
   */
  closeAll(tx: StoreTx): void {
    const prefix = `team-allowance/${encodeURIComponent(this.deps.deviceId)}/`;
    for (const key of tx.keys(prefix)) {
      const header = parseRecord(AllowanceHeader, tx.get(key), key);
      if (header.current?.status === 'open')
        tx.put(key, { ...header, current: { ...header.current, status: 'closed' } });
    }
  }

  /** Credits spent offline here and not yet settled: the offline team balance leaves them out. */
  pendingCredits(teamId: string): number {
    return sum(this.vouchers(teamId).filter((v) => v.status === 'pending'));
  }

  /** Teams with vouchers waiting to settle (sent on reconnect). */
  teamsWithPending(): string[] {
    const prefix = `team-voucher/${encodeURIComponent(this.deps.deviceId)}/`;
    const teams = new Set<string>();
    for (const k of this.deps.store.keys(prefix)) {
      const v = parseRecord(VoucherRecord, this.deps.store.get(k), k);
      if (v.status === 'pending' && v.signed.voucher.team) teams.add(v.signed.voucher.team.teamId);
    }
    return [...teams];
  }

  /**
   * Sends this team's pending vouchers to the settle route, one request per allowance, under an
   * operation id made of the vouchers' own ids (a retry after a crash is answered the same), and
   * keeps each verdict with its voucher in one commit. A permanent refusal of the whole request
   * (a member removed since, an allowance the server does not know) refuses its vouchers.
   */
  async flush(teamId: string): Promise<void> {
    await this.serial(async () => {
      const byAllowance = new Map<string, VoucherRecord[]>();
      for (const v of this.vouchers(teamId).filter((r) => r.status === 'pending'))
        byAllowance.set(v.signed.voucher.allowanceId, [
          ...(byAllowance.get(v.signed.voucher.allowanceId) ?? []),
          v,
        ]);
      const refused: string[] = [];
      for (const [allowanceId, all] of byAllowance) {
        for (let i = 0; i < all.length; i += 500) {
          const batch = all.slice(i, i + 500);
          const operationId = `team-settle-${createHash('sha256')
            .update(batch.map((v) => v.operationId).join('\n'))
            .digest('hex')
            .slice(0, 32)}`;
          let verdicts: Map<number, { ok: boolean; code: string | null; message: string | null }>;
          try {
            const res = await this.deps.http.json(
              'POST',
              `/v1/teams/${enc(teamId)}/allowances/${enc(allowanceId)}/settle`,
              {
                schema: TeamSettleResponse,
                body: { operationId, vouchers: batch.map((v) => v.signed), returnRest: false },
              },
            );
            verdicts = new Map(
              res.vouchers.map((o) => [
                o.counter,
                o.status === 'rejected'
                  ? { ok: false, code: o.code ?? 'rejected', message: o.message ?? null }
                  : { ok: true, code: null, message: null },
              ]),
            );
          } catch (error) {
            if (!permanent(error)) throw error;
            const code = error instanceof EaselError ? error.code : 'rejected';
            verdicts = new Map(
              batch.map((v) => [
                v.signed.voucher.counter,
                { ok: false, code, message: messageOf(error) },
              ]),
            );
          }
          await this.deps.store.transaction((tx) => {
            for (const v of batch) {
              const { counter } = v.signed.voucher;
              const verdict = verdicts.get(counter);
              if (!verdict) continue;
              const key = recordKey.teamVoucher(this.deps.deviceId, teamId, allowanceId, counter);
              tx.put(key, {
                ...v,
                status: verdict.ok ? 'settled' : 'rejected',
                code: verdict.code,
                message: verdict.ok ? null : (verdict.message ?? 'the server refused this voucher'),
              } satisfies VoucherRecord);
              if (!verdict.ok && v.signed.voucher.purpose.kind === 'design')
                refused.push(v.signed.voucher.purpose.designId);
            }
          });
        }
      }
      if (refused.length > 0) await this.deps.onRefused(refused);
    });
  }

  /** Gives back what is left (online): pending vouchers settle first, then the rest returns. */
  async giveBack(teamId: string): Promise<AllowanceState | null> {
    await this.flush(teamId);
    return this.serial(async () => {
      const current = this.header(teamId).current;
      if (!current || current.status === 'closed') return this.view(teamId);
      if (this.vouchers(teamId).some((v) => v.status === 'pending'))
        throw easelError('offline', 'Vouchers spent offline are still on their way to the server.');
      await this.deps.http.json(
        'POST',
        `/v1/teams/${enc(teamId)}/allowances/${enc(current.allowanceId)}/return`,
        {
          schema: TeamSettleResponse,
          body: { operationId: `team-return-${current.allowanceId}`.slice(0, 128) },
        },
      );
      await this.deps.store.transaction((tx) => {
        const header = this.header(teamId, tx);
        if (header.current?.allowanceId === current.allowanceId)
          tx.put(this.headerKey(teamId), {
            ...header,
            current: { ...header.current, status: 'closed' },
          });
      });
      return this.view(teamId);
    });
  }

  /** Online: what the verified team chain says was settled, and whether the allowance closed. */
  private async refresh(teamId: string): Promise<void> {
    const current = this.header(teamId).current;
    if (!current) return;
    try {
      await this.deps.chains.refreshChain(teamId);
      const found = await this.deps.chains.storedAllowance(teamId, current.allowanceId);
      if (!found) return;
      const closed = found.closed || this.expired(found.reserve.expiresAt);
      await this.deps.store.transaction((tx) => {
        const header = this.header(teamId, tx);
        if (header.current?.allowanceId !== current.allowanceId) return;
        tx.put(this.headerKey(teamId), {
          ...header,
          current: {
            ...header.current,
            status: closed ? 'closed' : header.current.status,
            server: {
              settled: found.settled,
              status: closed ? 'closed' : 'open',
              checkedAt: this.deps.now().toISOString(),
            },
          },
        });
      });
    } catch (error) {
      if (!isOfflineError(error))
        this.deps.log.warn({ err: error, teamId }, 'could not refresh the team allowance');
    }
  }

  /**
   * The reserve entry of the team allowance, from the verified team chain on disk. It must be
   * this device's, for this member; else offline spending stops with the reason.
   */
  private async reserveOf(
    teamId: string,
    current: AllowanceHeader['current'],
  ): Promise<VerifiedReserve> {
    if (!current)
      throw easelError(
        'no-allowance',
        'you are offline and have no offline allowance on this team',
      );
    const memo = this.verified.get(current.allowanceId);
    if (memo) return memo;
    const found = await this.deps.chains.storedAllowance(teamId, current.allowanceId);
    if (!found)
      throw easelError(
        'allowance-unverified',
        'The team allowance was not found in the verified team wallet before the connection dropped; connect once to verify it.',
      );
    const { reserve } = found;
    if (reserve.deviceId !== this.deps.deviceId || found.memberId !== this.deps.memberId)
      throw easelError(
        'allowance-unverified',
        `The signed reserve entry at seq ${reserve.seq} is not this device's allowance for this member.`,
      );
    this.verified.set(current.allowanceId, reserve);
    return reserve;
  }

  private view(teamId: string): AllowanceState | null {
    const c = this.header(teamId).current;
    if (!c) return null;
    const reserve = this.verified.get(c.allowanceId) ?? null;
    return allowanceView(c, reserve, this.vouchers(teamId), this.blocked.get(teamId) ?? null);
  }

  private headerKey(teamId: string): string {
    return recordKey.teamAllowance(this.deps.deviceId, teamId);
  }

  private header(teamId: string, source: Source = this.deps.store): AllowanceHeader {
    const key = this.headerKey(teamId);
    const value = source.get(key);
    return value === undefined ? emptyHeader : parseRecord(AllowanceHeader, value, key);
  }

  private vouchers(teamId: string, source: Source = this.deps.store): VoucherRecord[] {
    return source
      .keys(recordKey.teamVouchers(this.deps.deviceId, teamId))
      .map((k) => parseRecord(VoucherRecord, source.get(k), k));
  }

  private expired(expiresAt: string): boolean {
    return this.deps.now().getTime() >= Date.parse(expiresAt);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

const enc = encodeURIComponent;

/** A refusal the server will give again (4xx): the vouchers it names are refused, not retried. */
function permanent(error: unknown): boolean {
  if (!(error instanceof EaselError) || isOfflineError(error)) return false;
  const status = (error.details as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
}
