import { z } from 'zod';
import { SignedVoucher } from '../../shared/api/ledger';

/**
 * The records of one device in main's device state store (docs/architecture.md §10). Records
 * that change together (a voucher, the allowance's counter, the outbox entry that sends the
 * voucher) are committed in one transaction.
 */
const dev = (deviceId: string) => encodeURIComponent(deviceId);
const pad = (n: number, width: number) => String(n).padStart(width, '0');

export const recordKey = {
  allowance: (deviceId: string) => `allowance/${dev(deviceId)}`,
  reserve: (allowanceId: string) => `reserve/${allowanceId}`,
  vouchers: (deviceId: string) => `voucher/${dev(deviceId)}/`,
  vouchersOf: (deviceId: string, allowanceId: string) => `voucher/${dev(deviceId)}/${allowanceId}/`,
  voucher: (deviceId: string, allowanceId: string, counter: number) =>
    `voucher/${dev(deviceId)}/${allowanceId}/${pad(counter, 7)}`,
  /** A team allowance of this device, one per team wallet (docs/architecture.md §5, §14). */
  teamAllowance: (deviceId: string, teamId: string) =>
    `team-allowance/${dev(deviceId)}/${dev(teamId)}`,
  teamVouchers: (deviceId: string, teamId: string) =>
    `team-voucher/${dev(deviceId)}/${dev(teamId)}/`,
  teamVoucher: (deviceId: string, teamId: string, allowanceId: string, counter: number) =>
    `team-voucher/${dev(deviceId)}/${dev(teamId)}/${allowanceId}/${pad(counter, 7)}`,
  outboxMeta: (deviceId: string) => `outbox/${dev(deviceId)}/meta`,
  outboxEntries: (deviceId: string) => `outbox/${dev(deviceId)}/m/`,
  outboxEntry: (deviceId: string, mutationSeq: number) =>
    `outbox/${dev(deviceId)}/m/${pad(mutationSeq, 10)}`,
};

export const AllowanceHeader = z.strictObject({
  /** A take request in flight: its operation id is reused on retry, so it is taken once. */
  pendingTake: z
    .strictObject({ operationId: z.string(), amount: z.int(), ttlSeconds: z.int() })
    .nullable(),
  current: z
    .strictObject({
      allowanceId: z.string(),
      /** The reserve entry's seq, to fetch its proof while none is stored (null: imported). */
      reserveSeq: z.int().min(1).nullable(),
      /** The last counter used: a voucher and this counter are committed together. */
      counter: z.int().min(0),
      status: z.enum(['open', 'closed']),
      /** What the take answered; shown only until the reserve entry is verified. */
      claimed: z.strictObject({ kind: z.string(), amount: z.int(), expiresAt: z.string() }),
      /** What the server last said about it (online), for the figures shown and as a floor. */
      server: z
        .strictObject({
          settled: z.int(),
          status: z.enum(['open', 'closed']),
          checkedAt: z.string(),
        })
        .nullable(),
    })
    .nullable(),
});
export type AllowanceHeader = z.infer<typeof AllowanceHeader>;
export const emptyHeader: AllowanceHeader = { pendingTake: null, current: null };

export const VoucherRecord = z.strictObject({
  signed: SignedVoucher,
  /** Fixed when signed: the voucher's content hash is part of it (docs/architecture.md §5). */
  operationId: z.string(),
  status: z.enum(['pending', 'settled', 'rejected']),
  code: z.string().nullable(),
  message: z.string().nullable(),
});
export type VoucherRecord = z.infer<typeof VoucherRecord>;

export const OutboxMeta = z.strictObject({ nextSeq: z.int().min(1) });
