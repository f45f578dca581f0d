import { randomBytes } from 'node:crypto';
import type { Services } from '../services';
import { SANDBOX_AUTH_CARD } from './auto-topup';
import { customerStore } from './customers';
import { receiptStore } from './receipts';
import type { SandboxProvider } from './sandbox';
import type { CheckoutRow } from './store';

/** What the sandbox's checkout page may save: no card, a test card, or one that asks for authentication. */
export type SandboxCard = 'none' | 'card' | 'auth-card';

/**
 * The sandbox's side of receipts and auto top-up (docs/architecture.md §7): paying a checkout
 * makes its receipt page and may save a (pretend) card for auto top-up, as Stripe's Checkout
 * saves one with setup_future_usage.
 */
export class SandboxMoney {
  constructor(
    private readonly services: Services,
    private readonly sandbox: SandboxProvider,
    private readonly publicUrl: string,
  ) {}

  async pay(checkoutId: string, card: SandboxCard = 'none'): Promise<CheckoutRow> {
    const row = await this.sandbox.pay(checkoutId);
    const db = this.services.db;
    const now = this.services.clock.now();
    if (row.purchase_id)
      await receiptStore.sandbox(db, this.publicUrl, {
        purchaseId: row.purchase_id,
        accountId: row.account_id,
        now,
      });
    if (card !== 'none' && row.item_type === 'pack') {
      const hex = randomBytes(8).toString('hex');
      await customerStore.savePaymentMethod(db, {
        accountId: row.account_id,
        provider: 'sandbox',
        customerRef: `sbx_cus_${row.account_id}`,
        ref: card === 'auth-card' ? `${SANDBOX_AUTH_CARD}${hex}` : `sbx_pm_${hex}`,
        label:
          card === 'auth-card'
            ? 'Sandbox card that asks for authentication'
            : 'Sandbox test card ending 4242',
        now,
      });
    }
    return row;
  }
}
