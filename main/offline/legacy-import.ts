import { join } from 'node:path';
import { z } from 'zod';
import { Mutation } from '../../shared/api/ledger';
import type { Logger } from '../../shared/log/logger';
import { moveAside } from '../storage/durable';
import type { JournalStore } from '../storage/journal-store';
import { JsonFile } from '../storage/json-file';
import type { Outbox } from '../sync/outbox';
import { AllowanceFile } from './allowance-file';
import { type AllowanceHeader, recordKey, type VoucherRecord } from './device-records';

const OutboxFile = z.strictObject({
  deviceId: z.string(),
  nextSeq: z.int().min(1),
  pending: z.array(Mutation),
});

/**
 * Brings a device's state from the files of earlier versions (`allowance-<device>.json`,
 * `outbox-<device>.json`) into the device state store in one commit, so no signed voucher or
 * queued mutation is lost on upgrade. Vouchers keep the operation ids they were queued under.
 * The imported allowance is not spent from (its reserve entry was never verified): the id of
 * one still open is returned, for the caller to give back after its vouchers are queued. The
 * old files are kept, renamed.
 */
export async function importLegacyFiles(deps: {
  dataDir: string;
  deviceId: string;
  store: JournalStore;
  outbox: Outbox;
  log: Logger;
}): Promise<string | null> {
  const { store, deviceId } = deps;
  if (
    store.get(recordKey.allowance(deviceId)) !== undefined ||
    store.get(recordKey.outboxMeta(deviceId)) !== undefined
  )
    return null;
  const safe = encodeURIComponent(deviceId);
  const allowanceFile = new JsonFile(join(deps.dataDir, `allowance-${safe}.json`), AllowanceFile);
  const outboxFile = new JsonFile(join(deps.dataDir, `outbox-${safe}.json`), OutboxFile);
  const allowance = await allowanceFile.read();
  const outbox = await outboxFile.read();
  if (!allowance && !outbox) return null;
  await store.transaction((tx) => {
    if (outbox) {
      for (const m of outbox.pending) tx.put(recordKey.outboxEntry(deviceId, m.mutationSeq), m);
      tx.put(recordKey.outboxMeta(deviceId), { nextSeq: outbox.nextSeq });
    }
    const a = allowance?.allowance;
    if (!a) return;
    for (const v of a.vouchers) {
      tx.put(recordKey.voucher(deviceId, a.allowanceId, v.signed.voucher.counter), {
        ...v,
        operationId: `settle-${a.allowanceId}-${v.signed.voucher.counter}`.slice(0, 128),
      } satisfies VoucherRecord);
    }
    const header: AllowanceHeader = {
      pendingTake: null,
      current: {
        allowanceId: a.allowanceId,
        reserveSeq: null,
        counter: a.counter,
        status: 'closed',
        claimed: { kind: a.kind, amount: a.amount, expiresAt: a.expiresAt },
        server: null,
      },
    };
    tx.put(recordKey.allowance(deviceId), header);
  });
  for (const file of [allowanceFile, outboxFile]) {
    if ((await file.read()) !== null) await moveAside(file.path, 'imported');
  }
  deps.log.info({ deviceId }, 'imported the device state files of an earlier version');
  const a = allowance?.allowance;
  return a?.status === 'open' ? a.allowanceId : null;
}
