import { portableSha256, type Sha256 } from '../crypto/sha256';
import { WalletFold } from '../wallet/fold';
import type { WalletState } from '../wallet/types';
import { type ChainHead, GENESIS, sealEntry } from './chain';
import { signCheckpoint, type SignedCheckpoint } from './checkpoint';
import type { EntryBody, EntryDraft, LedgerEntry } from './entry';

/**
 * Appends entries to one account's chain: numbers them, stamps them, seals them into the
 * hash chain and folds them, so an entry that breaks a ledger rule is refused before it is
 * ever stored. The server writes through this; tests and benchmarks build chains with it.
 */
export class ChainWriter {
  private head: ChainHead;
  private readonly wallet: WalletFold;

  constructor(
    readonly accountId: string,
    options: { head?: ChainHead; fold?: WalletFold; sha256?: Sha256 } = {},
  ) {
    this.head = options.head ?? GENESIS;
    this.wallet = options.fold ?? new WalletFold();
    this.sha256 = options.sha256 ?? portableSha256;
    if (this.wallet.lastSeq !== this.head.seq) {
      throw new Error(`fold is at seq ${this.wallet.lastSeq}, head at ${this.head.seq}`);
    }
  }

  private readonly sha256: Sha256;

  get current(): ChainHead {
    return this.head;
  }

  /** Seals and applies one entry. Throws (and changes nothing) if it breaks a rule. */
  append(draft: EntryDraft, at: string): LedgerEntry {
    const body = { ...draft, v: 1, accountId: this.accountId, seq: this.head.seq + 1, at } as EntryBody;
    const entry = sealEntry(body, this.head.hash, this.sha256);
    this.wallet.apply(entry.data); // throws LedgerInvariantError before the head moves
    this.head = { seq: entry.seq, hash: entry.hash };
    return entry;
  }

  view(now: string): WalletState {
    return this.wallet.view(now);
  }

  checkpoint(issuedAt: string, key: { keyId: string; secretKey: string }): SignedCheckpoint {
    const state = this.wallet.view(issuedAt);
    const balances: Record<string, number> = {};
    for (const [kind, b] of Object.entries(state.balances)) balances[kind] = b.balance;
    return signCheckpoint(
      { accountId: this.accountId, seq: this.head.seq, head: this.head.hash, balances, issuedAt, keyId: key.keyId },
      key.secretKey,
    );
  }
}
