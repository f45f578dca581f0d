import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EaselError } from '../../shared/ipc/contract';
import { DeviceKeys } from '../offline/device-key';
import { SafeStorageSecretStore } from './safe-storage';

// safeStorage as the OS keyring would behave: what it encrypted decrypts, anything else throws.
vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString: (s: string) => Buffer.from(`sealed:${s}`),
    decryptString: (b: Buffer) => {
      const text = b.toString();
      if (!text.startsWith('sealed:')) throw new Error('Error while decrypting the ciphertext');
      return text.slice('sealed:'.length);
    },
  },
}));

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('secrets in Electron safeStorage', () => {
  it('reports a secret it cannot decrypt, and the device key is not replaced because of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'easel-safe-'));
    dirs.push(dir);
    const store = new SafeStorageSecretStore(dir);
    const keys = new DeviceKeys(store, () => true);
    const key = await keys.load();
    expect(await store.get('device-signing-key')).toBe(key.secretKey);

    // Encrypted under another OS user or keyring: it no longer decrypts.
    const path = join(dir, 'secrets.enc.json');
    const stored = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    stored['device-signing-key'] = Buffer.from('from another keyring').toString('base64');
    await writeFile(path, JSON.stringify(stored));
    const unreadable = await store.get('device-signing-key').catch((e: unknown) => e);
    expect(unreadable).toBeInstanceOf(EaselError);
    expect((unreadable as EaselError).code).toBe('device-state-unreadable');

    // Even for an install that could make its first key, an unreadable one is an error.
    const again = new DeviceKeys(store, () => true);
    const refused = await again.load().catch((e: unknown) => e);
    expect((refused as EaselError).code).toBe('device-key-unreadable');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(stored); // nothing written over it
  });
});
