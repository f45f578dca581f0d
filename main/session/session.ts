import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DeviceResponse, SessionResponse } from '../../shared/api/auth';
import type { KeyPair } from '../../shared/crypto/ed25519';
import type { SessionInfo } from '../../shared/ipc/types';
import type { HttpClient } from '../clients/http';
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

/**
 * Sign-in state. The token lives only in the secret store; the rest (account, device ids) is
 * not secret and sits in a JSON file. Each account gets this install registered as a device
 * with the device's public key, once.
 */
export class Session {
  private data: SessionFile;
  private readonly file: JsonFile<typeof SessionFile>;
  private token: string | null = null;

  constructor(
    private readonly deps: {
      http: HttpClient;
      secrets: SecretStore;
      dataDir: string;
      serverUrl: () => string;
      deviceKey: () => Promise<KeyPair>;
    },
  ) {
    this.file = new JsonFile(join(deps.dataDir, 'session.json'), SessionFile);
    this.data = { serverUrl: deps.serverUrl(), accountId: null, email: null, devices: {} };
  }

  async load(): Promise<void> {
    const stored = await this.file.read().catch(() => null);
    if (stored) this.data = stored;
    this.token = await this.deps.secrets.get(TOKEN);
    if (this.data.serverUrl !== this.deps.serverUrl()) {
      // A token is only good for the server that issued it.
      await this.clear();
      this.data = { ...this.data, serverUrl: this.deps.serverUrl() };
    }
  }

  get accountId(): string | null {
    return this.token ? this.data.accountId : null;
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

  async signOut(): Promise<SessionInfo> {
    if (this.token) {
      await this.deps.http.json('POST', '/v1/auth/signout', { schema: Ok }).catch(() => undefined);
    }
    await this.clear();
    return this.info();
  }

  private async clear(): Promise<void> {
    this.token = null;
    await this.deps.secrets.delete(TOKEN);
    this.data = { ...this.data, accountId: null, email: null };
    await this.file.write(this.data);
  }

  private async ensureDevice(accountId: string): Promise<void> {
    const key = this.deviceKeyOf(accountId);
    if (this.data.devices[key]) return;
    const deviceKey = await this.deps.deviceKey();
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
