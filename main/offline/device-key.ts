import { generateKeyPair, type KeyPair, keyPairFromSecret } from '../../shared/crypto/ed25519';
import type { SecretStore } from '../secrets/secret-store';

const NAME = 'device-signing-key';

/** This install's Ed25519 key: it signs offline vouchers. Kept in the secret store. */
export async function loadDeviceKey(secrets: SecretStore): Promise<KeyPair> {
  const stored = await secrets.get(NAME);
  if (stored && /^[0-9a-f]{64}$/.test(stored)) return keyPairFromSecret(stored);
  const fresh = generateKeyPair();
  await secrets.set(NAME, fresh.secretKey);
  return fresh;
}
