import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AccountResponse, DeviceResponse, SessionResponse } from '../../shared/api/auth';
import type { KeyPair } from '../../shared/crypto/ed25519';
import type { DevicePart, SessionInfo } from '../../shared/ipc/types';
import type { HttpClient } from '../clients/http';
import { isOfflineError } from '../core/errors';
import type { SecretStore } from '../secrets/secret-store';
import { JsonFile } from '../storage/json-file';

const TOKEN = 'session-token';
const SessionFile = z.strictObject({
  serverUrl: z.string(),
  accountId: z.string().nullable(),
  email: z.string().nullable(),
  /** Device ids this install registered, by `serverUrl|accountId`. */
  devices: z.record(z.string(), z.string()),
});
type SessionFile = z.infer<typeof SessionFile>;
const Ok = z.object({ ok: z.boolean() });

/** Where unreadable parts are reported (docs/architecture.md §10). */
export interface ProblemSink {
  report(part: DevicePart, error: unknown): void;
  clear(part: DevicePart): void;
}

/**
 * Sign-in state. The token lives only in the secret store; the rest (account, device ids) is
 * not secret and sits in a JSON file. Each account gets this install registered as a device
 * with the device's public key, once. An unreadable session file is reported, left in place
 * and never written over; signing in or re-syncing rebuilds it from the server, which knows
 * this install's device by its public key (docs/architecture.md §10).
 */
export class Session {
  private data: SessionFile;
  private readonly file: JsonFile<typeof SessionFile>;
  private token: string | null = null;
  /** The session file could not be read in this run: no device may be assumed new. */
  private unreadable = false;

  constructor(
    private readonly deps: {
      http: HttpClient;
      secrets: SecretStore;
      dataDir: string;
      serverUrl: () => string;
      deviceKey: () => Promise<KeyPair>;
      problems: ProblemSink;
    },
  ) {
    this.file = new JsonFile(join(deps.dataDir, 'session.json'), SessionFile);
    this.data = { serverUrl: deps.serverUrl(), accountId: null, email: null, devices: {} };
  }

  async load(): Promise<void> {
    try {
      const stored = await this.file.read();
      if (stored) this.data = stored;
    } catch (error) {
      this.unreadable = true;
      this.deps.problems.report('session', error);
    }
    try {
      this.token = await this.deps.secrets.get(TOKEN);
    } catch (error) {
      this.token = null;
      this.deps.problems.report('secrets', error);
    }
    if (this.unreadable) return; // signed out until re-synced; the file stays as it is
    if (this.data.serverUrl !== this.deps.serverUrl()) {
      // A token is only good for the server that issued it.
      await this.clear();
      this.data = { ...this.data, serverUrl: this.deps.serverUrl() };
    }
  }

  get accountId(): string | null {
    return this.token ? this.data.accountId : null;
  }

  /** The token's secret store was set aside: signed out until the next sign-in. */
  forgetToken(): void {
    this.token = null;
  }

  /** Whether this install may make its first device key (no device registered with one yet). */
  get mayCreateDeviceKey(): boolean {
    return !this.unreadable && Object.keys(this.data.devices).length === 0;
  }

  get deviceId(): string | null {
    const account = this.accountId;
    return account ? (this.data.devices[this.deviceKeyOf(account)] ?? null) : null;
  }

  async currentToken(): Promise<string | null> {
    return this.token;
  }

  info(): SessionInfo {
    return {
      signedIn: this.token !== null && this.data.accountId !== null,
      accountId: this.accountId,
      email: this.token ? this.data.email : null,
      deviceId: this.deviceId,
      serverUrl: this.deps.serverUrl(),
      insecureStorage: this.deps.secrets.insecure,
    };
  }

  async signIn(mode: 'signin' | 'signup', email: string, password: string): Promise<SessionInfo> {
    if (this.unreadable) await this.setAside(); // signing in re-syncs the session from the server
    const res = await this.deps.http.json('POST', `/v1/auth/${mode}`, {
      schema: SessionResponse,
      body: { email, password },
      auth: false,
    });
    await this.deps.secrets.set(TOKEN, res.token);
    this.token = res.token;
    this.data = {
      ...this.data,
      serverUrl: this.deps.serverUrl(),
      accountId: res.accountId,
      email: res.email,
    };
    await this.file.write(this.data);
    await this.ensureDevice(res.accountId);
    return this.info();
  }

  /**
   * Rebuilds an unreadable session file from the server: the unreadable file is kept aside,
   * the account comes from the stored token, and this install's device is found by its public
   * key. Without a usable token the user is signed out and signs in again.
   */
  async resync(): Promise<SessionInfo> {
    await this.setAside();
    if (this.token) {
      try {
        const account = await this.deps.http.json('GET', '/v1/account', {
          schema: AccountResponse,
        });
        this.data = { ...this.data, accountId: account.accountId, email: account.email };
        await this.file.write(this.data);
        await this.ensureDevice(account.accountId, account);
      } catch (error) {
        if (isOfflineError(error)) throw error;
        await this.clear(); // the token is no good: sign in again
      }
    }
    return this.info();
  }

  async signOut(): Promise<SessionInfo> {
    if (this.token) {
      await this.deps.http
        .json('POST', '/v1/auth/signout', { schema: Ok })
        // The local token is forgotten either way; the server's session expires on its own.
        .catch(() => undefined);
    }
    await this.clear();
    return this.info();
  }

  private async setAside(): Promise<void> {
    await this.file.moveAside();
    this.data = { serverUrl: this.deps.serverUrl(), accountId: null, email: null, devices: {} };
    this.unreadable = false;
    this.deps.problems.clear('session');
  }

  private async clear(): Promise<void> {
    this.token = null;
    await this.deps.secrets.delete(TOKEN);
    this.data = { ...this.data, accountId: null, email: null };
    if (!this.unreadable) await this.file.write(this.data); // never over an unreadable file
  }

  private async ensureDevice(accountId: string, known?: AccountResponse): Promise<void> {
    const key = this.deviceKeyOf(accountId);
    if (this.data.devices[key]) return;
    const deviceKey = await this.deps.deviceKey();
    // Registered before (a session file rebuilt from the server): the server knows our key.
    const account =
      known ?? (await this.deps.http.json('GET', '/v1/account', { schema: AccountResponse }));
    const mine = account.devices.find((d) => d.publicKey === deviceKey.publicKey);
    if (mine) {
      this.data = { ...this.data, devices: { ...this.data.devices, [key]: mine.deviceId } };
      await this.file.write(this.data);
      return;
    }
    const device = await this.deps.http.json('POST', '/v1/devices', {
      schema: DeviceResponse,
      body: { name: `Easel on ${hostname()}`.slice(0, 80), publicKey: deviceKey.publicKey },
    });
    this.data = { ...this.data, devices: { ...this.data.devices, [key]: device.deviceId } };
    await this.file.write(this.data);
  }

  private deviceKeyOf(accountId: string): string {
    return `${this.deps.serverUrl()}|${accountId}`;
  }
}
