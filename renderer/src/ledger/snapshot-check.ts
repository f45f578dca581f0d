import type { WalletState } from '../../../shared/wallet/types';
import type { WalletSnapshot } from '../db/snapshot';

/**
 * What a stored wallet snapshot is, once the chain under it is proven (docs/architecture.md §3):
 * until then it is only shown as "checking…" and never decides whether credits suffice.
 */
export type SnapshotCheck =
  | { status: 'none' }
  | { status: 'verified'; seq: number }
  /** Computed from entries the cache cannot prove: not a figure to show as verified. */
  | { status: 'unproven'; seq: number; message: string }
  /** The snapshot says something the proven chain does not: reported, never silently replaced. */
  | { status: 'mismatch'; seq: number; message: string };

const balancesText = (b: WalletSnapshot['balances']): string =>
  Object.entries(b)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([kind, v]) => `${v.balance} ${kind}`)
    .join(', ') || 'nothing';

const same = (a: WalletSnapshot['balances'], b: WalletSnapshot['balances']): boolean => {
  const kinds = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of kinds) {
    if (a[k]?.balance !== b[k]?.balance || a[k]?.available !== b[k]?.available) return false;
  }
  return true;
};

/**
 * `view` is the proven fold viewed at the snapshot's seq and time (null when the snapshot's seq
 * is beyond the proven head); `hashAt` gives the proven chain's hash at a seq.
 */
export function checkSnapshot(
  snapshot: (WalletSnapshot & { head?: string }) | null,
  provenSeq: number,
  hashAt: (seq: number) => string | null,
  view: WalletState | null,
): SnapshotCheck {
  if (!snapshot) return { status: 'none' };
  const seq = snapshot.seq;
  if (seq > provenSeq || !view) {
    return {
      status: 'unproven',
      seq,
      message: `the saved balance is of entry ${seq}, which no verified checkpoint covers`,
    };
  }
  if (snapshot.head !== undefined && snapshot.head !== hashAt(seq)) {
    return {
      status: 'mismatch',
      seq,
      message: `the saved balance names a history head that is not the verified entry ${seq}`,
    };
  }
  if (!same(snapshot.balances, view.balances)) {
    return {
      status: 'mismatch',
      seq,
      message: `the saved balance (${balancesText(snapshot.balances)}) is not what the verified history gives at entry ${seq} (${balancesText(view.balances)})`,
    };
  }
  return { status: 'verified', seq };
}
