import { type ChainDigest, portableChainDigest } from '../crypto/sha256';
import { type ChainHead, GENESIS } from './chain';
import { type SignedCheckpoint, type PublicKeyInfo, verifyCheckpointSignature } from './checkpoint';
import type { WireEntry } from './entry';

type ChainFailureReason =
  | 'unknown-key'
  | 'bad-signature'
  | 'wrong-account'
  | 'seq-gap'
  | 'hash-mismatch'
  | 'body-mismatch'
  | 'checkpoint-mismatch'
  | 'rollback';

export type ChainVerdict =
  | { ok: true; head: ChainHead }
  | { ok: false; reason: ChainFailureReason; seq: number | null; message: string };

export interface VerifyOptions {
  /** The head the batch must extend (the client's stored head); genesis by default. */
  from?: ChainHead;
  accountId: string;
  digest?: ChainDigest;
}

const fail = (reason: ChainFailureReason, seq: number | null, message: string): ChainVerdict => ({
  ok: false,
  reason,
  seq,
  message,
});

// Reads "seq" and "accountId" out of canonical body text without a full parse: JCS sorts keys,
// and every body has these as top-level scalar members. A full schema parse happens on fold.
const ACCOUNT_RE = /"accountId":"((?:[^"\\]|\\.)*)"/;

/**
 * Verifies a batch of entries against one signed checkpoint (docs/architecture.md §3): one signature
 * for the batch, then the hash chain from `from` to the checkpoint's head. Any edited byte,
 * dropped, reordered or inserted entry, foreign entry, or forged checkpoint is reported with the
 * seq where it was found.
 */
export function verifyChain(
  entries: readonly WireEntry[],
  signed: SignedCheckpoint,
  keys: readonly PublicKeyInfo[],
  options: VerifyOptions,
): ChainVerdict {
  const cp = signed.checkpoint;
  const from = options.from ?? GENESIS;
  const digest = options.digest ?? portableChainDigest;

  const sig = verifyCheckpointSignature(signed, keys);
  if (!sig.ok) return fail(sig.reason, cp.seq, sig.message);
  if (cp.accountId !== options.accountId) {
    return fail(
      'wrong-account',
      cp.seq,
      `checkpoint is for account ${cp.accountId}, not ${options.accountId}`,
    );
  }
  if (cp.seq < from.seq) {
    return fail(
      'rollback',
      cp.seq,
      `checkpoint seq ${cp.seq} is behind the stored head ${from.seq}`,
    );
  }

  let prev = from.hash;
  let expectedSeq = from.seq + 1;
  const accountNeedle = JSON.stringify(options.accountId);
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) {
      return fail(
        'seq-gap',
        expectedSeq,
        `expected entry ${expectedSeq}, got ${entry.seq} (dropped or reordered entry)`,
      );
    }
    const hash = digest(prev, entry.body);
    if (hash !== entry.hash) {
      return fail(
        'hash-mismatch',
        entry.seq,
        `entry ${entry.seq} does not hash to its recorded hash (edited, or not chained to the previous entry)`,
      );
    }
    if (
      !entry.body.includes(`"seq":${entry.seq},`) &&
      !entry.body.endsWith(`"seq":${entry.seq}}`)
    ) {
      return fail('body-mismatch', entry.seq, `entry ${entry.seq} body carries another seq`);
    }
    const account = ACCOUNT_RE.exec(entry.body);
    if (!account || `"${account[1]}"` !== accountNeedle) {
      return fail('wrong-account', entry.seq, `entry ${entry.seq} belongs to another account`);
    }
    prev = hash;
    expectedSeq++;
  }

  const last = expectedSeq - 1;
  if (last !== cp.seq || prev !== cp.head) {
    return fail(
      'checkpoint-mismatch',
      last,
      `chain ends at ${last} (${prev.slice(0, 12)}…) but the checkpoint says ${cp.seq} (${cp.head.slice(0, 12)}…)`,
    );
  }
  return { ok: true, head: { seq: last, hash: prev } };
}
