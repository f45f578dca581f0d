import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/**
 * The chain-link digest of docs/architecture.md §3: hex SHA-256 of (the 32 raw bytes of the previous
 * hash ‖ the UTF-8 bytes of the body text). `shared/` ships a portable implementation; a Node
 * host passes one built on `node:crypto` (several times faster). Both must agree byte for byte,
 * which the tests check.
 */
export type ChainDigest = (prevHashHex: string, bodyText: string) => string;

const encoder = new TextEncoder();
let scratch = new Uint8Array(4096);

export const portableChainDigest: ChainDigest = (prevHashHex, bodyText) => {
  // Worst case 3 UTF-8 bytes per UTF-16 unit; grow the reusable buffer instead of allocating.
  const need = 32 + bodyText.length * 3;
  if (scratch.length < need) scratch = new Uint8Array(need * 2);
  scratch.set(hexToBytes(prevHashHex), 0);
  const { written } = encoder.encodeInto(bodyText, scratch.subarray(32));
  return bytesToHex(sha256(scratch.subarray(0, 32 + written)));
};
