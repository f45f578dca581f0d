import { generateKeyPair, type KeyPair, keyPairFromSecret } from '../../shared/crypto/ed25519';
import { EaselError } from '../../shared/ipc/contract';
import { easelError } from '../core/errors';
import type { SecretStore } from '../secrets/secret-store';

const NAME = 'device-signing-key';
/** A replacement key kept until the server has it, so a crash mid-rotation reuses it. */
const NEXT = 'device-signing-key-next';
const HEX_SECRET = /^[0-9a-f]{64}$/;

const unreadable = (why: string) =>
  easelError(
    'device-key-unreadable',
    `This device's signing key ${why}, so offline spending is stopped: vouchers signed with another key could never settle. Replace the key in Settings while online.`,
  );

/**
 * This install's Ed25519 key: it signs offline vouchers (docs/architecture.md §5). Kept in the
 * secret store. It is made once, for an install that has not registered a device yet; a key
 * that later cannot be read or is gone is never replaced silently — the user replaces it
 * through the server (`rotate`). Loading is single-flight: concurrent callers share one load,
 * so two keys are never made.
 */
export class DeviceKeys {
  private loading: Promise<KeyPair> | null = null;

  constructor(
    private readonly secrets: SecretStore,
    /** Whether this install may make its first key: true until a device was registered with one. */
    private readonly mayCreate: () => boolean,
  ) {}

  load(): Promise<KeyPair> {
    this.loading ??= this.read();
    // A failure is not cached: the reason may be fixed (a keyring unlocked, a key rotated).
    this.loading.catch(() => (this.loading = null));
    return this.loading;
  }

  /**
   * Makes a new key and has the server record it for this device (`register`), then keeps it.
   * A crash after the server took it leaves it under NEXT, and the next rotation reuses it.
   */
  async rotate(register: (publicKey: string) => Promise<void>): Promise<KeyPair> {
    // An unreadable pending key is replaced by a fresh one: the server takes whichever comes last.
    const pending = await this.secrets.get(NEXT).catch(() => null);
    const fresh =
      pending && HEX_SECRET.test(pending) ? keyPairFromSecret(pending) : generateKeyPair();
    await this.secrets.set(NEXT, fresh.secretKey);
    await register(fresh.publicKey);
    await this.secrets.set(NAME, fresh.secretKey);
    await this.secrets.delete(NEXT);
    this.loading = Promise.resolve(fresh);
    return fresh;
  }

  private async read(): Promise<KeyPair> {
    let stored: string | null;
    try {
      stored = await this.secrets.get(NAME);
    } catch (error) {
      const why = error instanceof EaselError ? error.message : String(error);
      throw unreadable(`cannot be read (${why.replace(/\.$/, '')})`);
    }
    if (stored === null) {
      if (!this.mayCreate()) throw unreadable('is missing');
      const fresh = generateKeyPair();
      await this.secrets.set(NAME, fresh.secretKey);
      return fresh;
    }
    if (!HEX_SECRET.test(stored)) throw unreadable('is damaged');
    return keyPairFromSecret(stored);
  }
}
