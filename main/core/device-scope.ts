import type { KeyPair } from '../../shared/crypto/ed25519';
import type { AllowanceState } from '../../shared/ipc/types';
import type { Logger } from '../../shared/log/logger';
import type { HttpClient } from '../clients/http';
import { Allowances } from '../offline/allowances';
import { type TeamChains, TeamAllowances } from '../offline/team-allowances';
import { importLegacyFiles } from '../offline/legacy-import';
import type { JournalStore } from '../storage/journal-store';
import type { KeyRing } from '../sync/key-ring';
import { Outbox } from '../sync/outbox';
import type { StepHook } from './steps';

export interface DeviceScope {
  deviceId: string;
  outbox: Outbox;
  allowances: Allowances;
  /** This device's allowances on team wallets, kept apart from the personal one. */
  teamAllowances: TeamAllowances;
  close(): void;
}

/**
 * The per-device pieces (outbox, allowance) over main's device state store, made once the
 * device id is known. On open, signed vouchers that are pending but not queued are queued
 * again under their fixed operation ids (docs/architecture.md §10).
 */
export async function openDeviceScope(deps: {
  http: HttpClient;
  store: JournalStore;
  dataDir: string;
  deviceId: string;
  accountId: string;
  key: () => Promise<KeyPair>;
  keyRing: KeyRing;
  teamChains: TeamChains;
  online: () => boolean;
  now: () => Date;
  onAllowance: (state: AllowanceState | null) => void;
  onQueueChange: () => void;
  onRefused: (designIds: string[]) => Promise<void>;
  onStep?: StepHook;
  log: Logger;
  retry?: { baseMs?: number; maxMs?: number };
  /** What the server last applied from this device (asked only after a salvaged store). */
  serverLastMutationSeq: () => Promise<number>;
}): Promise<DeviceScope> {
  const { store, deviceId, log } = deps;
  let allowances: Allowances | null = null;
  const outbox = new Outbox({
    http: deps.http,
    store,
    deviceId,
    onResult: (tx, m, r) => allowances?.onMutationResult(tx, m, r),
    onResultsCommitted: () => allowances?.afterResults(),
    onChange: deps.onQueueChange,
    onStep: deps.onStep,
    log,
    retry: deps.retry,
  });
  const scoped = new Allowances({
    http: deps.http,
    store,
    deviceId,
    accountId: deps.accountId,
    key: deps.key,
    keyRing: deps.keyRing,
    outbox,
    online: deps.online,
    now: deps.now,
    onChange: deps.onAllowance,
    onRefused: deps.onRefused,
    onStep: deps.onStep,
    log,
  });
  allowances = scoped;
  const teamAllowances = new TeamAllowances({
    http: deps.http,
    store,
    chains: deps.teamChains,
    deviceId,
    memberId: deps.accountId,
    key: deps.key,
    online: deps.online,
    now: deps.now,
    onRefused: deps.onRefused,
    log,
  });
  const toReturn = await importLegacyFiles({ dataDir: deps.dataDir, deviceId, store, outbox, log });
  const epoch = Number(store.get(SALVAGE_EPOCH) ?? 0);
  const salvaged = Number(store.get(salvageDone(deviceId)) ?? 0) < epoch;
  // After a salvage the store may lack its last commits: mutations the server already
  // applied, counters already used. New mutations are numbered after the server's last...
  const floor = salvaged ? await deps.serverLastMutationSeq() : 0;
  const requeued = await store.transaction((tx) => {
    if (salvaged) outbox.raiseFloor(tx, floor);
    const n = scoped.requeuePending(tx);
    // An imported allowance goes back after its vouchers, which settle first.
    if (toReturn)
      outbox.stage(
        tx,
        { type: 'return-allowance', allowanceId: toReturn },
        `return-${toReturn}`.slice(0, 128),
      );
    if (salvaged) {
      // ...and the open allowance is returned after what is queued: no counter is reused.
      scoped.close(tx);
      teamAllowances.closeAll(tx);
      tx.put(salvageDone(deviceId), epoch);
    }
    return n;
  });
  if (requeued > 0) log.warn({ deviceId, requeued }, 'queued signed vouchers again');
  return {
    deviceId,
    outbox,
    allowances: scoped,
    teamAllowances,
    close: () => outbox.close(),
  };
}

/** Counts salvages of the store; each device catches up once per salvage (docs/architecture.md §10). */
export const SALVAGE_EPOCH = 'salvage-epoch';
const salvageDone = (deviceId: string) => `salvage-done/${encodeURIComponent(deviceId)}`;
