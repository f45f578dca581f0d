import { join } from 'node:path';
import type { KeyPair } from '../../shared/crypto/ed25519';
import type { AllowanceState } from '../../shared/ipc/types';
import type { HttpClient } from '../clients/http';
import { Allowances } from '../offline/allowances';
import { Outbox } from '../sync/outbox';

export interface DeviceScope {
  deviceId: string;
  outbox: Outbox;
  allowances: Allowances;
}

/** The per-device pieces (outbox, allowance), made once the device id is known. */
export async function openDeviceScope(deps: {
  http: HttpClient;
  dataDir: string;
  deviceId: string;
  key: KeyPair;
  now: () => Date;
  onAllowance: (state: AllowanceState | null) => void;
  onQueueChange: () => void;
  retry?: { baseMs?: number; maxMs?: number };
}): Promise<DeviceScope> {
  const safe = encodeURIComponent(deps.deviceId);
  let allowances: Allowances | null = null;
  const outbox = new Outbox({
    http: deps.http,
    path: join(deps.dataDir, `outbox-${safe}.json`),
    deviceId: deps.deviceId,
    onResult: (m, r) => allowances?.onMutationResult(m, r),
    onChange: deps.onQueueChange,
    retry: deps.retry,
  });
  await outbox.load();
  allowances = new Allowances({
    http: deps.http,
    path: join(deps.dataDir, `allowance-${safe}.json`),
    deviceId: deps.deviceId,
    key: deps.key,
    outbox,
    now: deps.now,
    onChange: deps.onAllowance,
  });
  return { deviceId: deps.deviceId, outbox, allowances };
}
