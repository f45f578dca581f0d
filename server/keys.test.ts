import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../shared/crypto/ed25519';
import { signCheckpoint, verifyCheckpointSignature } from '../shared/ledger/checkpoint';
import { GENESIS_HASH } from '../shared/ledger/primitives';
import { keysFromSecrets, loadSigningKeys } from './keys';

const checkpoint = (keyId: string) => ({
  accountId: 'a',
  seq: 0,
  head: GENESIS_HASH,
  balances: {},
  issuedAt: '2026-11-01T00:00:00.000Z',
  keyId,
});

describe('signing keys', () => {
  it('generates a key on first start, keeps it private to the owner, and loads the same key again', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'easel-keys-')), 'k', 'signing-keys.json');
    const first = loadSigningKeys(undefined, file);
    expect(loadSigningKeys(undefined, file).active.keyId).toBe(first.active.keyId);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(1);
  });

  it('rotates: the new key signs, the retired one stays published so old checkpoints still verify', () => {
    const old = generateKeyPair();
    const fresh = generateKeyPair();
    const before = keysFromSecrets(old.secretKey);
    const oldCheckpoint = signCheckpoint(checkpoint(old.keyId), old.secretKey);
    const after = loadSigningKeys(
      JSON.stringify([
        { secretKey: fresh.secretKey, status: 'active' },
        { secretKey: old.secretKey, status: 'retired' },
      ]),
      '/nonexistent',
    );
    expect(before.active.keyId).toBe(old.keyId);
    expect(after.active.keyId).toBe(fresh.keyId);
    expect(after.published.map((k) => [k.keyId, k.status])).toEqual([
      [fresh.keyId, 'active'],
      [old.keyId, 'retired'],
    ]);
    expect(verifyCheckpointSignature(oldCheckpoint, after.published).ok).toBe(true);
    expect(
      verifyCheckpointSignature(
        signCheckpoint(checkpoint(fresh.keyId), fresh.secretKey),
        before.published,
      ),
    ).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('refuses a configuration without an active key or with a malformed key', () => {
    const k = generateKeyPair();
    expect(() =>
      loadSigningKeys(JSON.stringify([{ secretKey: k.secretKey, status: 'retired' }]), '/x'),
    ).toThrow(/no active key/);
    expect(() =>
      loadSigningKeys(JSON.stringify([{ secretKey: 'zz', status: 'active' }]), '/x'),
    ).toThrow();
  });
});
