import { portableChainDigest, type ChainDigest } from '../../../shared/crypto/sha256';
import { GENESIS, type ChainHead } from '../../../shared/ledger/chain';
import {
  verifyCheckpointSignature,
  type PublicKeyInfo,
  type SignedCheckpoint,
} from '../../../shared/ledger/checkpoint';
import type { WireEntry } from '../../../shared/ledger/entry';

/** Why the stored chain is not proven to its end (the reasons of shared/ledger/verify.ts). */
export interface ProofFailure {
  reason: string;
  /** The first entry that is not proven, or the checkpoint's seq; null when unknown. */
  seq: number | null;
  message: string;
}

export interface ChainProof {
  /** The last head a checkpoint signed by one of main's keys vouches for (genesis if none). */
  head: ChainHead;
  /** The checkpoint that proves `head` (null at genesis). */
  checkpoint: SignedCheckpoint | null;
  /** Stored entries after `head` are not proven; null when everything stored is proven. */
  failure: ProofFailure | null;
}

const ACCOUNT_RE = /"accountId":"((?:[^"\\]|\\.)*)"/;

/**
 * Finds how far a stored chain is proven (docs/architecture.md §3): the chain is hashed from
 * genesis once, up to the first entry that breaks it (edited, dropped, reordered, another
 * account's); then the newest stored checkpoint that signs a head on that intact prefix — with a
 * key from main's key ring, never one read from the cache — is the proven head. Entries after
 * it are not proven, whatever the cache says about them. One checkpoint is kept per stored
 * batch, so a break loses only what follows the last proven batch.
 */
export function proveChain(
  entries: readonly WireEntry[],
  checkpoints: readonly SignedCheckpoint[],
  keys: readonly PublicKeyInfo[],
  accountId: string,
  digest: ChainDigest = portableChainDigest,
): ChainProof {
  const hashes: string[] = [GENESIS.hash];
  let broken: ProofFailure | null = null;
  const accountNeedle = JSON.stringify(accountId);
  for (const entry of entries) {
    const seq = hashes.length;
    if (entry.seq !== seq) {
      broken = {
        reason: 'seq-gap',
        seq,
        message: `expected entry ${seq}, found ${entry.seq} (a dropped or reordered entry)`,
      };
      break;
    }
    const hash = digest(hashes[seq - 1] ?? GENESIS.hash, entry.body);
    if (hash !== entry.hash) {
      broken = {
        reason: 'hash-mismatch',
        seq,
        message: `entry ${seq} does not hash to its recorded hash (edited, or not chained to the previous entry)`,
      };
      break;
    }
    if (!entry.body.includes(`"seq":${seq},`) && !entry.body.endsWith(`"seq":${seq}}`)) {
      broken = { reason: 'body-mismatch', seq, message: `entry ${seq} body carries another seq` };
      break;
    }
    const account = ACCOUNT_RE.exec(entry.body);
    if (!account || `"${account[1]}"` !== accountNeedle) {
      broken = {
        reason: 'wrong-account',
        seq,
        message: `entry ${seq} belongs to another account`,
      };
      break;
    }
    hashes.push(hash);
  }
  const intact = hashes.length - 1;

  // Newest first: normally the first candidate proves everything with one signature check.
  const sorted = [...checkpoints].sort((a, b) => b.checkpoint.seq - a.checkpoint.seq);
  let rejected: ProofFailure | null = null;
  for (const signed of sorted) {
    const cp = signed.checkpoint;
    const fail = (reason: string, message: string): void => {
      rejected ??= { reason, seq: cp.seq, message };
    };
    if (cp.seq > intact) {
      fail(
        'checkpoint-mismatch',
        `the stored chain ends at ${intact} but a checkpoint says ${cp.seq}`,
      );
      continue;
    }
    if (cp.accountId !== accountId) {
      fail('wrong-account', `checkpoint ${cp.seq} is for another account`);
      continue;
    }
    if (hashes[cp.seq] !== cp.head) {
      fail('checkpoint-mismatch', `entry ${cp.seq} is not the head checkpoint ${cp.seq} signs`);
      continue;
    }
    const sig = verifyCheckpointSignature(signed, keys);
    if (!sig.ok) {
      fail(sig.reason, sig.message);
      continue;
    }
    const head = { seq: cp.seq, hash: cp.head };
    const stored = entries.length;
    if (cp.seq === stored && !broken) return { head, checkpoint: signed, failure: null };
    return {
      head,
      checkpoint: signed,
      failure: broken ??
        rejected ?? {
          reason: 'unproven',
          seq: cp.seq + 1,
          message: `entries after ${cp.seq} are not covered by a signed checkpoint`,
        },
    };
  }
  const failure =
    entries.length === 0 && !rejected
      ? null
      : (broken ??
        rejected ?? {
          reason: 'unproven',
          seq: 1,
          message: 'no stored checkpoint signed by the server covers the stored entries',
        });
  return { head: GENESIS, checkpoint: null, failure };
}
