import { type ChainDigest, portableChainDigest } from '../crypto/sha256';
import { WalletFold, balancesOf } from '../wallet/fold';
import type { WalletState } from '../wallet/types';
import { type ChainHead, GENESIS, sealEntry } from './chain';
import { signCheckpoint, type SignedCheckpoint } from './checkpoint';
import type { EntryBody, EntryDraft, LedgerEntry } from './entry';

const GENESIS_TIME = '1970-01-01T00:00:00.000Z';

/**
 * Appends entries to one account's chain: numbers them, stamps them, seals them into the
 * hash chain and folds them, so an entry that breaks a ledger rule is refused before it is
 * ever stored. The server writes through this; tests and benchmarks build chains with it.
 */
export class ChainWriter {
  private head: ChainHead;
  /** The folded state; read it through its methods, never apply entries to it directly. */
  readonly fold: WalletFold;

  constructor(
    readonly accountId: string,
    options: { head?: ChainHead; fold?: WalletFold; digest?: ChainDigest } = {},
  ) {
    this.head = options.head ?? GENESIS;
    this.fold = options.fold ?? new WalletFold();
    this.digest = options.digest ?? portableChainDigest;
    if (this.fold.lastSeq !== this.head.seq) {
      throw new Error(`fold is at seq ${this.fold.lastSeq}, head at ${this.head.seq}`);
    }
  }

  private readonly digest: ChainDigest;

  get current(): ChainHead {
    return this.head;
  }

  /** Seals and applies one entry. Throws (and changes nothing) if it breaks a rule. */
  append(draft: EntryDraft, at: string): LedgerEntry {
    const body = {
      ...draft,
      v: 1,
      accountId: this.accountId,
      seq: this.head.seq + 1,
      at,
    } as EntryBody;
    const entry = sealEntry(body, this.head.hash, this.digest);
    this.fold.apply(entry.data); // throws LedgerInvariantError before the head moves
    this.head = { seq: entry.seq, hash: entry.hash };
    return entry;
  }

  view(now: string): WalletState {
    return this.fold.view(now);
  }

  /** Balances as of the head entry's own time: what a checkpoint at the head signs. */
  headBalances(): Record<string, number> {
    return balancesOf(this.fold.view(this.fold.lastAt || GENESIS_TIME));
  }

  checkpoint(issuedAt: string, key: { keyId: string; secretKey: string }): SignedCheckpoint {
    const balances = this.headBalances();
    return signCheckpoint(
      {
        accountId: this.accountId,
        seq: this.head.seq,
        head: this.head.hash,
        balances,
        issuedAt,
        keyId: key.keyId,
      },
      key.secretKey,
    );
  }
}
