import type { WalletSnapshot } from '../db/snapshot';
import { pendingOffline } from '../stores/ledger-store';
import type { AllowanceState } from '../../../shared/ipc/types';

export const KIND = 'image';

/** Balance shown: the folded balance minus offline spends the ledger does not hold yet. */
export function shownBalance(
  wallet: WalletSnapshot | null,
  allowance: AllowanceState | null,
  kind = KIND,
): number | null {
  if (!wallet) return null;
  const b = wallet.balances[kind];
  return (b?.balance ?? 0) - (allowance?.kind === kind ? pendingOffline(allowance) : 0);
}

/** What a new run may take now: available (not held or reserved) minus unsettled offline spends. */
export function spendable(wallet: WalletSnapshot | null, kind = KIND): number {
  return wallet?.balances[kind]?.available ?? 0;
}
