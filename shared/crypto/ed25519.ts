import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex, utf8 } from './bytes';

export interface KeyPair {
  /** 32-byte secret seed, hex. */
  secretKey: string;
  /** 32-byte public key, hex. */
  publicKey: string;
  keyId: string;
}

/** A key id names a public key: the first 16 hex digits of its SHA-256. */
function keyIdOf(publicKeyHex: string): string {
  return toHex(sha256(fromHex(publicKeyHex))).slice(0, 16);
}

export function generateKeyPair(): KeyPair {
  const secret = ed25519.utils.randomSecretKey();
  return keyPairFromSecret(toHex(secret));
}

export function keyPairFromSecret(secretKeyHex: string): KeyPair {
  const publicKey = toHex(ed25519.getPublicKey(fromHex(secretKeyHex)));
  return { secretKey: secretKeyHex, publicKey, keyId: keyIdOf(publicKey) };
}

export function signText(text: string, secretKeyHex: string): string {
  return toHex(ed25519.sign(utf8(text), fromHex(secretKeyHex)));
}

export function verifyText(text: string, signatureHex: string, publicKeyHex: string): boolean {
  try {
    return ed25519.verify(fromHex(signatureHex), utf8(text), fromHex(publicKeyHex));
  } catch {
    return false; // malformed key or signature bytes are a failed verification, not a crash
  }
}
