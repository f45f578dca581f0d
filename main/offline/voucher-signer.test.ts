import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../shared/crypto/ed25519';
import type { Voucher } from '../../shared/ledger/entry';
import { signVoucher, verifyVoucher } from '../../shared/ledger/voucher';
import { signVoucherFast } from './voucher-signer';

describe('the node:crypto voucher signer', () => {
  it('makes the same signature as the portable signer, which the server verifies', () => {
    for (let i = 0; i < 5; i++) {
      const key = generateKeyPair();
      const voucher: Voucher = {
        allowanceId: 'al_1',
        counter: i + 1,
        amount: 99,
        itemId: `offline.design-confetti.${i + 1}`,
        purpose: { kind: 'design', designId: 'design-confetti' },
        at: '2026-11-02T10:00:00.000Z',
      };
      const fast = signVoucherFast(voucher, key.secretKey);
      expect(fast).toBe(signVoucher(voucher, key.secretKey));
      expect(verifyVoucher(voucher, fast, key.publicKey)).toBe(true);
    }
  });
});
