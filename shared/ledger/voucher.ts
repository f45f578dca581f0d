import { canonicalize } from '../canonical/jcs';
import { signText, verifyText } from '../crypto/ed25519';
import type { Voucher } from './entry';

/**
 * Offline vouchers (docs/architecture.md §5): a device signs each offline spend with its own Ed25519
 * key, counter by counter. The server settles each (allowance, counter) once and flags a
 * counter reused with other content.
 */
const DOMAIN = 'easel/voucher/v1\n';

export const voucherMessage = (voucher: Voucher): string => DOMAIN + canonicalize(voucher);

export function signVoucher(voucher: Voucher, deviceSecretKey: string): string {
  return signText(voucherMessage(voucher), deviceSecretKey);
}

export function verifyVoucher(
  voucher: Voucher,
  signature: string,
  devicePublicKey: string,
): boolean {
  return verifyText(voucherMessage(voucher), signature, devicePublicKey);
}
