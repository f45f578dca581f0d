import { join } from 'node:path';
import { AccountResponse, DeviceResponse } from '../../shared/api/auth';
import type { KeyPair } from '../../shared/crypto/ed25519';
import type {
  AllowanceState,
  DeviceHealth as HealthState,
  DevicePart,
} from '../../shared/ipc/types';
import type { Logger } from '../../shared/log/logger';
import type { HttpClient } from '../clients/http';
import { DeviceKeys } from '../offline/device-key';
import type { SecretStore } from '../secrets/secret-store';
import type { Session } from '../session/session';
import { JournalStore } from '../storage/journal-store';
import type { KeyRing } from '../sync/key-ring';
import type { DeviceHealth } from './device-health';
import { type DeviceScope, SALVAGE_EPOCH, openDeviceScope } from './device-scope';
import { easelError, isOfflineError } from './errors';
import type { SettingsStore } from './settings';
import type { StepHook } from './steps';
import type { TeamChains } from '../offline/team-allowances';

export interface DeviceStateDeps {
  dataDir: string;
  http: HttpClient;
  secrets: SecretStore;
  session: () => Session;
  settings: SettingsStore;
  keyRing: KeyRing;
  /** The verified team chains (main/clients/teams.ts), for team allowances. */
  teamChains: TeamChains;
  health: DeviceHealth;
  online: () => boolean;
  now: () => Date;
  onAllowance: (state: AllowanceState | null) => void;
  onQueueChange: () => void;
  onRefused: (designIds: string[]) => Promise<void>;
  onStep?: StepHook;
  compactBytes?: number;
  log: Logger;
  retry?: { baseMs?: number; maxMs?: number };
}

/**
 * Main's device state (docs/architecture.md §10): the durable store, the per-device scope on
 * it and the device key, each opened once however many callers ask at the same time (the
 * promise is shared), and the ways out when something cannot be read.
 */
export class DeviceState {
  readonly keys: DeviceKeys;
  private storeOpening: Promise<JournalStore> | null = null;
  /** Once shut down (app quit, test teardown) nothing opens the store again: its lock stays free. */
  private closed = false;
  private scopeOpening: { deviceId: string; scope: Promise<DeviceScope> } | null = null;
  /** The open scope, for synchronous readers (the outbox length in the sync state). */
  current: DeviceScope | null = null;

  constructor(private readonly deps: DeviceStateDeps) {
    this.keys = new DeviceKeys(deps.secrets, () => deps.session().mayCreateDeviceKey);
  }

  /** The device key; an unreadable one is reported with its way out (rotation). */
  key(): Promise<KeyPair> {
    return this.keys.load().then(
      (key) => {
        this.deps.health.clear('device-key');
        return key;
      },
      (error: unknown) => {
        this.deps.health.report('device-key', error);
        throw error;
      },
    );
  }

  get storeDir(): string {
    return join(this.deps.dataDir, 'device-state');
  }

  /** The store, opened once. A damaged one is reported and stays closed until re-synced. */
  store(): Promise<JournalStore> {
    if (this.closed)
      return Promise.reject(easelError('device-state-closed', 'The device state is closed.'));
    if (!this.storeOpening) {
      const opening = JournalStore.open(this.storeDir, {
        log: this.deps.log,
        onStep: this.deps.onStep,
        compactBytes: this.deps.compactBytes,
      });
      this.storeOpening = opening;
      opening.then(
        () => this.deps.health.clear('device-state'),
        (error: unknown) => {
          if (this.storeOpening === opening) this.storeOpening = null; // a later call retries
          this.deps.health.report('device-state', error);
        },
      );
    }
    return this.storeOpening;
  }

  /** This device's scope, opened once per device id (concurrent callers share the opening). */
  device(): Promise<DeviceScope> {
    const session = this.deps.session();
    const deviceId = session.deviceId;
    const accountId = session.accountId;
    if (!deviceId || !accountId)
      return Promise.reject(easelError('not-signed-in', 'sign in first'));
    if (this.scopeOpening?.deviceId === deviceId) return this.scopeOpening.scope;
    this.closeScope();
    const scope = this.open(deviceId, accountId);
    const entry = { deviceId, scope };
    this.scopeOpening = entry;
    scope.then(
      (s) => {
        if (this.scopeOpening === entry) this.current = s;
        else s.close(); // signed out or switched while it opened
      },
      () => {
        if (this.scopeOpening === entry) this.scopeOpening = null; // a later call retries
      },
    );
    return scope;
  }

  closeScope(): void {
    this.current?.close();
    this.current = null;
    this.scopeOpening = null;
  }

  /** For good (the app or its core closing): nothing opens the store again after this. */
  async shutdown(): Promise<void> {
    this.closed = true;
    await this.close();
  }

  /** Closes what is open; a later call opens it again. */
  async close(): Promise<void> {
    this.closeScope();
    const opening = this.storeOpening;
    this.storeOpening = null;
    // A store that never opened has nothing to close; its failure was reported when it happened.
    const store = await opening?.catch(() => null);
    await store?.close();
  }

  get health(): HealthState {
    return this.deps.health.state;
  }

  /**
   * Rebuilds an unreadable part from the server (docs/architecture.md §10). The unreadable file
   * is kept aside, never deleted.
   */
  async resync(part: DevicePart): Promise<HealthState> {
    switch (part) {
      case 'settings':
        await this.deps.settings.resync();
        break;
      case 'session':
        await this.deps.session().resync();
        break;
      case 'secrets':
        // The session file keeps this install's device: signing in again finds it, and the
        // key (gone with the secrets) is then replaced through the server, never silently.
        await this.resyncSecrets();
        this.deps.session().forgetToken();
        break;
      case 'server-keys':
        await this.deps.keyRing.resync();
        break;
      case 'device-state':
        await this.resyncStore();
        break;
      case 'device-key':
        throw easelError(
          'invalid-params',
          "A device key is not re-synced: replace it with 'Replace device key' (online).",
        );
    }
    return this.health;
  }

  /**
   * Replaces the device key through the server: a new key is made, the server records it for
   * this device, and the open allowance (bound to the old key) is returned after what is
   * queued. Vouchers already signed keep settling against the key their reserve recorded.
   */
  async rotateKey(): Promise<HealthState> {
    const session = this.deps.session();
    const deviceId = session.deviceId;
    if (!deviceId) throw easelError('not-signed-in', 'sign in to replace the device key');
    await this.keys.rotate(async (publicKey) => {
      await this.deps.http
        .json('POST', `/v1/devices/${encodeURIComponent(deviceId)}/key`, {
          schema: DeviceResponse,
          body: { publicKey },
        })
        .catch((error: unknown) => {
          if (!isOfflineError(error)) throw error;
          throw easelError('offline', 'Replacing the device key needs a connection to the server.');
        });
    });
    this.deps.health.clear('device-key');
    const scope = await this.device();
    await (await this.store()).transaction((tx) => scope.allowances.close(tx));
    scope.outbox.kick();
    this.deps.onAllowance(await scope.allowances.state());
    return this.health;
  }

  /** What the server last applied from this device (after a salvage). */
  async serverLastMutationSeq(deviceId: string): Promise<number> {
    const account = await this.deps.http
      .json('GET', '/v1/account', { schema: AccountResponse })
      .catch((error: unknown) => {
        if (!isOfflineError(error)) throw error;
        throw easelError(
          'offline',
          'Easel rebuilt its device state from what could be read; it needs a connection to the server once to continue.',
        );
      });
    const me = account.devices.find((d) => d.deviceId === deviceId);
    if (!me) throw easelError('internal', `the server does not know device ${deviceId}`);
    return me.lastMutationSeq;
  }

  private async open(deviceId: string, accountId: string): Promise<DeviceScope> {
    const store = await this.store();
    return openDeviceScope({
      http: this.deps.http,
      store,
      dataDir: this.deps.dataDir,
      deviceId,
      accountId,
      key: () => this.key(),
      keyRing: this.deps.keyRing,
      teamChains: this.deps.teamChains,
      online: this.deps.online,
      now: this.deps.now,
      onAllowance: this.deps.onAllowance,
      onQueueChange: this.deps.onQueueChange,
      onRefused: this.deps.onRefused,
      onStep: this.deps.onStep,
      log: this.deps.log,
      retry: this.deps.retry,
      serverLastMutationSeq: () => this.serverLastMutationSeq(deviceId),
    });
  }

  /** Opens the damaged store with what can be proven intact; each device catches up on open. */
  private async resyncStore(): Promise<void> {
    this.closeScope();
    const healthy = await this.storeOpening?.catch(() => null); // the failure was reported
    if (healthy) return; // nothing to rebuild
    this.storeOpening = null;
    const store = await JournalStore.open(this.storeDir, {
      log: this.deps.log,
      onStep: this.deps.onStep,
      compactBytes: this.deps.compactBytes,
      salvage: true,
    });
    if (store.salvaged) {
      await store.transaction((tx) =>
        tx.put(SALVAGE_EPOCH, Number(tx.get(SALVAGE_EPOCH) ?? 0) + 1),
      );
      this.deps.log.warn({ salvaged: store.salvaged }, 'device state rebuilt from what was intact');
    }
    this.storeOpening = Promise.resolve(store);
    this.deps.health.clear('device-state');
    if (this.deps.session().deviceId) (await this.device()).outbox.kick();
  }

  /** An unreadable secrets file is kept aside; the user signs in again and replaces the key. */
  private async resyncSecrets(): Promise<void> {
    const aside = this.deps.secrets.moveAside;
    if (aside) await aside.call(this.deps.secrets);
    this.deps.health.clear('secrets');
  }
}
