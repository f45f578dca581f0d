import { z } from 'zod';
import { canonicalize } from '../canonical/jcs';
import { signText, verifyText } from '../crypto/ed25519';
import { CreditKind, Hash, Id, MAX_AMOUNT, Timestamp } from './primitives';

export const Checkpoint = z.strictObject({
  accountId: Id,
  seq: z.int().min(0),
  head: Hash,
  /** Balance per credit kind as of the time of entry `seq` (may be negative after a reversal). */
  balances: z.record(CreditKind, z.int().min(-MAX_AMOUNT).max(MAX_AMOUNT)),
  issuedAt: Timestamp,
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

export const SignedCheckpoint = z.strictObject({
  checkpoint: Checkpoint,
  signature: z.string().regex(/^[0-9a-f]{128}$/),
});
export type SignedCheckpoint = z.infer<typeof SignedCheckpoint>;

export const PublicKeyInfo = z.strictObject({
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  publicKey: z.string().regex(/^[0-9a-f]{64}$/),
  /** Keys retire but stay published so old checkpoints still verify. */
  status: z.enum(['active', 'retired']),
});
export type PublicKeyInfo = z.infer<typeof PublicKeyInfo>;

// Domain separation: a checkpoint signature can never be replayed as another kind of message.
const CHECKPOINT_DOMAIN = 'easel/checkpoint/v1\n';

function checkpointMessage(checkpoint: Checkpoint): string {
  return CHECKPOINT_DOMAIN + canonicalize(checkpoint);
}

export function signCheckpoint(checkpoint: Checkpoint, secretKeyHex: string): SignedCheckpoint {
  const parsed = Checkpoint.parse(checkpoint);
  return { checkpoint: parsed, signature: signText(checkpointMessage(parsed), secretKeyHex) };
}

export type CheckpointCheck =
  { ok: true } | { ok: false; reason: 'unknown-key' | 'bad-signature'; message: string };

export function verifyCheckpointSignature(
  signed: SignedCheckpoint,
  keys: readonly PublicKeyInfo[],
): CheckpointCheck {
  const key = keys.find((k) => k.keyId === signed.checkpoint.keyId);
  if (!key) {
    return {
      ok: false,
      reason: 'unknown-key',
      message: `checkpoint is signed with unknown key ${signed.checkpoint.keyId}`,
    };
  }
  if (!verifyText(checkpointMessage(signed.checkpoint), signed.signature, key.publicKey)) {
    return {
      ok: false,
      reason: 'bad-signature',
      message: `checkpoint signature does not verify with key ${key.keyId}`,
    };
  }
  return { ok: true };
}
