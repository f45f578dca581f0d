import type { PaymentProviderName } from '../../shared/api/purchases';

/** One payment as the provider records it: what reconcile lays beside the ledger. */
export interface ProviderPayment {
  provider: PaymentProviderName;
  /** The ledger purchase this payment should have credited (derived from the provider's ids). */
  purchaseId: string;
  /** The payment intent (or sandbox payment) that refunds and disputes name. */
  paymentRef: string | null;
  itemId: string | null;
  accountId: string | null;
  checkoutId: string | null;
  amountCents: number;
  currency: string;
  paidAt: string;
  refunded: 'none' | 'partial' | 'full';
  disputed: boolean;
}
