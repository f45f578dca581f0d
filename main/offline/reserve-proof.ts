import { z } from 'zod';
import { PullResponse } from '../../shared/api/ledger';
import { GENESIS, parseEntry } from '../../shared/ledger/chain';
import { type PublicKeyInfo, SignedCheckpoint } from '../../shared/ledger/checkpoint';
import { WireEntry } from '../../shared/ledger/entry';
import { Hash } from '../../shared/ledger/primitives';
import { verifyChain } from '../../shared/ledger/verify';
import type { HttpClient } from '../clients/http';
import { easelError } from '../core/errors';
import type { KeyRing } from '../sync/key-ring';

/**
 * One ledger entry proven on its own: a checkpoint signed exactly at its seq, whose head is
 * SHA-256(prevHash ‖ body). The signature covers the head, so whatever prevHash is, a
 * different body would need a SHA-256 collision: the entry is the server's entry at that seq.
 */
export const EntryProof = z.strictObject({
  prevHash: Hash,
  entry: WireEntry,
  checkpoint: SignedCheckpoint,
});
export type EntryProof = z.infer<typeof EntryProof>;

/** What the signed reserve entry says: the bounds of offline spending (docs/architecture.md §5). */
export interface VerifiedReserve {
  allowanceId: string;
  deviceId: string;
  devicePublicKey: string;
  kind: string;
  amount: number;
  expiresAt: string;
  seq: number;
}

export type ReserveCheck = { ok: true; reserve: VerifiedReserve } | { ok: false; message: string };

/** Checks a stored proof against the key ring; never trusts what the proof says about itself. */
export function checkReserveProof(
  proof: EntryProof,
  keys: readonly PublicKeyInfo[],
  accountId: string,
): ReserveCheck {
  const { entry, checkpoint } = proof;
  if (checkpoint.checkpoint.seq !== entry.seq)
    return { ok: false, message: 'its checkpoint is not signed at the reserve entry' };
  const verdict = verifyChain([entry], checkpoint, keys, {
    from: { seq: entry.seq - 1, hash: proof.prevHash },
    accountId,
  });
  if (!verdict.ok) return { ok: false, message: verdict.message };
  let data;
  try {
    data = parseEntry(entry).data;
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (data.type !== 'reserve') return { ok: false, message: `entry ${entry.seq} is not a reserve` };
  return {
    ok: true,
    reserve: {
      allowanceId: data.allowanceId,
      deviceId: data.deviceId,
      devicePublicKey: data.devicePublicKey,
      kind: data.kind,
      amount: data.amount,
      expiresAt: data.expiresAt,
      seq: entry.seq,
    },
  };
}

/** Fetches the reserve entry at `seq` with a checkpoint signed there, and verifies it. */
export async function fetchReserveProof(
  http: HttpClient,
  keyRing: KeyRing,
  accountId: string,
  seq: number,
): Promise<{ proof: EntryProof; reserve: VerifiedReserve }> {
  const after = Math.max(0, seq - 2);
  const batch = await http.json('GET', '/v1/ledger/entries', {
    schema: PullResponse,
    query: { after, limit: seq - after },
  });
  const entry = batch.entries.find((e) => e.seq === seq);
  const prevHash = seq === 1 ? GENESIS.hash : batch.entries.find((e) => e.seq === seq - 1)?.hash;
  if (!entry || !prevHash)
    throw easelError('allowance-unverified', `the server did not send ledger entry ${seq}`);
  const proof = { prevHash, entry, checkpoint: batch.checkpoint };
  const keys = await keyRing.withKey(batch.checkpoint.checkpoint.keyId);
  const check = checkReserveProof(proof, keys, accountId);
  if (!check.ok) {
    throw easelError(
      'allowance-unverified',
      `The offline allowance could not be verified against the signed ledger: ${check.message}.`,
    );
  }
  return { proof, reserve: check.reserve };
}
