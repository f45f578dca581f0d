import { randomUUID } from 'node:crypto';
import type { KeyPair } from '../../shared/crypto/ed25519';
import { AllowanceResponse, type Mutation } from '../../shared/api/ledger';
import type { AllowanceState } from '../../shared/ipc/types';
import type { Voucher } from '../../shared/ledger/entry';
import { signVoucher } from '../../shared/ledger/voucher';
import type { HttpClient } from '../clients/http';
import { easelError } from '../core/errors';
import { JsonFile } from '../storage/json-file';
import type { MutationResult, Outbox } from '../sync/outbox';
import { AllowanceFile, type VoucherRecord } from './allowance-file';

export interface AllowanceDeps {
  http: HttpClient;
  path: string;
  deviceId: string;
  key: KeyPair;
  outbox: Outbox;
  now: () => Date;
  onChange: (state: AllowanceState | null) => void;
}

/**
 * Offline spending (docs/architecture.md §5). Online, the device takes an allowance (a reserve on the
 * server). Offline, it spends from it with vouchers it signs, counter by counter, refusing
 * anything past the amount or the expiry. Vouchers go into the outbox and settle when the
 * server is reachable; the server's verdict on each is kept and shown.
 */
export class Allowances {
  private readonly file: JsonFile<typeof AllowanceFile>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: AllowanceDeps) {
    this.file = new JsonFile(deps.path, AllowanceFile);
  }

  async state(): Promise<AllowanceState | null> {
    return view(await this.read());
  }

  async take(kind: string, amount: number, days: number): Promise<AllowanceState> {
    return this.serial(async () => {
      let data = await this.read();
      const current = data.allowance;
      if (current && current.status === 'open' && !this.expired(current.expiresAt)) {
        const state = view(data);
        if (state) return state;
      }
      const pending = data.pendingTake ?? {
        operationId: `allowance-${randomUUID()}`,
        amount,
        ttlSeconds: days * 86_400,
      };
      data = { ...data, pendingTake: pending };
      await this.file.write(data); // the operation id survives a crash before the answer
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
      data = {
        pendingTake: null,
        allowance: {
          allowanceId: res.allowanceId,
          kind: res.kind,
          amount: res.amount,
          expiresAt: res.expiresAt,
          status: res.status,
          counter: 0,
          vouchers: [],
        },
      };
      await this.file.write(data);
      return this.changed(data);
    }).then((s) => {
      if (!s) throw easelError('internal', 'the allowance was not recorded');
      return s;
    });
  }

  /** Signs a voucher for an offline design redemption; returns its counter. */
  async spend(designId: string, credits: number): Promise<number> {
    return this.serial(async () => {
      let data = await this.read();
      const a = data.allowance;
      if (!a || a.status !== 'open')
        throw easelError('no-allowance', 'you are offline and have no offline allowance');
      if (this.expired(a.expiresAt)) {
        throw easelError('allowance-expired', `the offline allowance expired at ${a.expiresAt}`);
      }
      const spent = spentOf(a.vouchers);
      if (spent + credits > a.amount) {
        throw easelError(
          'allowance-exceeded',
          `this needs ${credits} credits but only ${a.amount - spent} are left in the offline allowance`,
        );
      }
      const counter = a.counter + 1;
      // Reserve the counter on disk before signing: a crash can skip a counter, never reuse one.
      data = { ...data, allowance: { ...a, counter } };
      await this.file.write(data);
      const voucher: Voucher = {
        allowanceId: a.allowanceId,
        counter,
        amount: credits,
        itemId: `offline.${designId}.${counter}`.slice(0, 128),
        purpose: { kind: 'design', designId },
        at: this.deps.now().toISOString(),
      };
      const signed = { voucher, signature: signVoucher(voucher, this.deps.key.secretKey) };
      data = {
        ...data,
        allowance: {
          ...a,
          counter,
          vouchers: [...a.vouchers, { signed, status: 'pending', code: null, message: null }],
        },
      };
      await this.file.write(data);
      await this.deps.outbox.enqueue(
        { type: 'settle-vouchers', allowanceId: a.allowanceId, vouchers: [signed] },
        `settle-${a.allowanceId}-${counter}`.slice(0, 128),
      );
      this.changed(data);
      return counter;
    });
  }

  /** Gives back what is left: queued after any pending settlements, so they go first. */
  async giveBack(): Promise<AllowanceState | null> {
    return this.serial(async () => {
      const data = await this.read();
      const a = data.allowance;
      if (!a || a.status === 'closed') return view(data);
      await this.deps.outbox.enqueue(
        { type: 'return-allowance', allowanceId: a.allowanceId },
        `return-${a.allowanceId}`.slice(0, 128),
      );
      const next = { ...data, allowance: { ...a, status: 'closed' as const } };
      await this.file.write(next);
      return this.changed(next);
    });
  }

  /** The outbox heard back about a mutation: record each voucher's verdict. */
  async onMutationResult(mutation: Mutation, result: MutationResult): Promise<void> {
    if (mutation.op.type !== 'settle-vouchers') return;
    const op = mutation.op;
    await this.serial(async () => {
      const data = await this.read();
      const a = data.allowance;
      if (!a || a.allowanceId !== op.allowanceId) return;
      const vouchers = a.vouchers.map((v) => {
        if (!op.vouchers.some((s) => s.voucher.counter === v.signed.voucher.counter)) return v;
        const outcome = result.vouchers?.find((o) => o.counter === v.signed.voucher.counter);
        if (result.status === 'rejected' || outcome?.status === 'rejected') {
          return {
            ...v,
            status: 'rejected' as const,
            code: outcome?.code ?? 'rejected',
            message: outcome?.message ?? result.message ?? 'the server refused this voucher',
          };
        }
        return { ...v, status: 'settled' as const, code: null, message: null };
      });
      const next = { ...data, allowance: { ...a, vouchers } };
      await this.file.write(next);
      this.changed(next);
    });
  }

  private changed(data: AllowanceFile): AllowanceState | null {
    const state = view(data);
    this.deps.onChange(state);
    return state;
  }

  private expired(expiresAt: string): boolean {
    return this.deps.now().getTime() >= Date.parse(expiresAt);
  }

  private async read(): Promise<AllowanceFile> {
    return (await this.file.read()) ?? { pendingTake: null, allowance: null };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

const spentOf = (vouchers: readonly VoucherRecord[]): number =>
  vouchers.filter((v) => v.status !== 'rejected').reduce((t, v) => t + v.signed.voucher.amount, 0);

function view(data: AllowanceFile): AllowanceState | null {
  const a = data.allowance;
  if (!a) return null;
  return {
    allowanceId: a.allowanceId,
    kind: a.kind,
    amount: a.amount,
    spentOffline: spentOf(a.vouchers),
    settled: a.vouchers
      .filter((v) => v.status === 'settled')
      .reduce((t, v) => t + v.signed.voucher.amount, 0),
    expiresAt: a.expiresAt,
    status: a.status,
    pendingVouchers: a.vouchers.filter((v) => v.status === 'pending').length,
    rejected: a.vouchers
      .filter((v) => v.status === 'rejected')
      .map((v) => ({
        counter: v.signed.voucher.counter,
        code: v.code ?? 'rejected',
        message: v.message ?? 'refused by the server',
      })),
  };
}
