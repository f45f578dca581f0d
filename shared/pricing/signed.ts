import { z } from 'zod';
import { canonicalize } from '../canonical/jcs';
import { signText, verifyText } from '../crypto/ed25519';
import type { PublicKeyInfo } from '../ledger/checkpoint';
import { PriceBook } from './book';

export const SignedPriceBook = z.strictObject({
  book: PriceBook,
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().regex(/^[0-9a-f]{128}$/),
});
export type SignedPriceBook = z.infer<typeof SignedPriceBook>;

const DOMAIN = 'easel/price-book/v1\n';

export function signPriceBook(
  book: PriceBook,
  key: { keyId: string; secretKey: string },
): SignedPriceBook {
  const parsed = PriceBook.parse(book);
  return {
    book: parsed,
    keyId: key.keyId,
    signature: signText(DOMAIN + canonicalize(parsed), key.secretKey),
  };
}

export function verifyPriceBook(signed: SignedPriceBook, keys: readonly PublicKeyInfo[]): boolean {
  const key = keys.find((k) => k.keyId === signed.keyId);
  return (
    key !== undefined &&
    verifyText(DOMAIN + canonicalize(signed.book), signed.signature, key.publicKey)
  );
}
