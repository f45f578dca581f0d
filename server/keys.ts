import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { generateKeyPair, keyPairFromSecret, type KeyPair } from '../shared/crypto/ed25519';
import type { PublicKeyInfo } from '../shared/ledger/checkpoint';

const KeyFile = z
  .array(
    z.strictObject({
      secretKey: z.string().regex(/^[0-9a-f]{64}$/),
      status: z.enum(['active', 'retired']),
    }),
  )
  .min(1);

export interface SigningKeys {
  /** Signs new checkpoints and price books. */
  active: KeyPair;
  /** Every key still published, so older signatures keep verifying after a rotation. */
  published: PublicKeyInfo[];
}

function fromList(list: z.infer<typeof KeyFile>): SigningKeys {
  const pairs = list.map((k) => ({ ...keyPairFromSecret(k.secretKey), status: k.status }));
  const active = pairs.find((k) => k.status === 'active');
  if (!active) throw new Error('signing keys: no active key');
  return {
    active,
    published: pairs.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey, status: k.status })),
  };
}

/**
 * Loads the server's Ed25519 signing keys: from EASEL_SIGNING_KEYS (JSON list of
 * {secretKey, status}) when set, else from `file`, which is created with a fresh key on first
 * start (the embedded default). Rotation: add a new active key, mark the old one retired.
 */
export function loadSigningKeys(envValue: string | undefined, file: string): SigningKeys {
  if (envValue) return fromList(KeyFile.parse(JSON.parse(envValue)));
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify([{ secretKey: generateKeyPair().secretKey, status: 'active' }], null, 2),
      { mode: 0o600 },
    );
  }
  return fromList(KeyFile.parse(JSON.parse(readFileSync(file, 'utf8'))));
}

export function keysFromSecrets(...secrets: string[]): SigningKeys {
  return fromList(
    secrets.map((secretKey, i) => ({ secretKey, status: i === 0 ? 'active' : 'retired' })),
  );
}
