import { createHash, hash } from 'node:crypto';
import type { ChainDigest } from '../shared/crypto/sha256';

// One buffer for the bytes of short links: `crypto.hash` over it skips making a Hash object per
// entry, about twice as fast when a cold account's tail is checked (docs/architecture.md §9).
const scratch = Buffer.alloc(32 + 16_384);

/** The chain-link digest on node:crypto: the same bytes as shared's portable one, faster. */
export const nodeChainDigest: ChainDigest = (prevHashHex, bodyText) => {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a body this short always fits.
  if (prevHashHex.length === 64 && bodyText.length * 3 <= scratch.length - 32) {
    if (scratch.write(prevHashHex, 0, 'hex') === 32) {
      const n = scratch.write(bodyText, 32, 'utf8');
      return hash('sha256', scratch.subarray(0, 32 + n), 'hex');
    }
  }
  return createHash('sha256')
    .update(Buffer.from(prevHashHex, 'hex'))
    .update(bodyText, 'utf8')
    .digest('hex');
};

export const sha256Hex = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('hex');
