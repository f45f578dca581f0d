import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/**
 * A SHA-256 function. `shared/` uses the portable @noble implementation by default; a host
 * with a faster native digest (Node's `crypto`, WebCrypto cannot be used synchronously) may
 * pass its own to the chain functions. Both must return the same 32 bytes.
 */
export type Sha256 = (data: Uint8Array) => Uint8Array;

export const portableSha256: Sha256 = (data) => nobleSha256(data);
