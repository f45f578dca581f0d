import { join } from 'node:path';
import { safeStorage } from 'electron';
import { z } from 'zod';
import type { SecretStore } from '../secrets/secret-store';
import { easelError } from '../core/errors';
import { log } from '../core/log';
import { JsonFile } from '../storage/json-file';

const Encrypted = z.record(z.string(), z.string());

/**
 * Secrets encrypted with Electron safeStorage (Keychain, DPAPI, libsecret/kwallet). On Linux
 * without a keyring, safeStorage falls back to a fixed key ('basic_text'): we still use it, but
 * flag it as insecure and warn, and the UI shows it.
 */
export class SafeStorageSecretStore implements SecretStore {
  readonly insecure: boolean;
  private readonly file: JsonFile<typeof Encrypted>;

  constructor(dataDir: string) {
    this.file = new JsonFile(join(dataDir, 'secrets.enc.json'), Encrypted);
    const plain =
      !safeStorage.isEncryptionAvailable() ||
      (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text');
    this.insecure = plain;
    if (plain) {
      log.warn(
        'no OS keyring is available; the session token is stored with a fixed key (effectively plain text)',
      );
    }
  }

  async get(name: string): Promise<string | null> {
    const value = (await this.file.read())?.[name];
    if (!value) return null;
    try {
      return safeStorage.decryptString(Buffer.from(value, 'base64'));
    } catch (error) {
      // Encrypted under another OS user or keyring, or damaged: an error the user sees, never
      // "no secret" — for the device key that would mean a silent new key (docs/architecture.md §10).
      throw easelError(
        'device-state-unreadable',
        `Easel could not decrypt its stored ${name} (${error instanceof Error ? error.message : String(error)}).`,
        { part: 'secrets' },
      );
    }
  }

  async set(name: string, value: string): Promise<void> {
    const all = (await this.file.read()) ?? {};
    await this.file.write({ ...all, [name]: safeStorage.encryptString(value).toString('base64') });
  }

  async moveAside(): Promise<void> {
    await this.file.moveAside();
  }

  async delete(name: string): Promise<void> {
    const all = (await this.file.read()) ?? {};
    await this.file.write(Object.fromEntries(Object.entries(all).filter(([k]) => k !== name)));
  }
}
