import { Dexie, type Table } from 'dexie';
import type { JobView, StoreCatalog } from '../../../shared/ipc/types';
import type { Design } from '../../../shared/api/catalog';
import type { SignedCheckpoint, PublicKeyInfo } from '../../../shared/ledger/checkpoint';
import type { SignedPriceBook } from '../../../shared/pricing/signed';
import type { Activity, ActivityState } from './activities';
import { paginate } from './entry-pages';
import { toRows } from './rows';
import type { WalletSnapshot } from './snapshot';

/** One stored ledger entry: the exact wire entry plus fields derived once, at store time. */
export interface EntryRow {
  seq: number;
  hash: string;
  body: string;
  type: string;
  at: string;
  kind: string;
  /** Tool or purpose ("generate", "design"…); '' when the entry is not about one. */
  tool: string;
  /** Signed change of the balance of `kind`; holds and reserves change nothing. */
  delta: number;
  /** Credits the entry moves, shown even when delta is 0 (a hold, a release). */
  amount: number;
  label: string;
  /** Set only on hold rows, so captures and releases can find their tool. */
  holdId?: string;
  /** Hold rows: the job's prompt excerpt or settings, when the entry carried one. */
  note?: string;
}

/**
 * A page of stored entries: rows with seq in [page * 100 + 1, page * 100 + 100], in seq order
 * (the newest page may be partial). IndexedDB's cost is per record, so 100 rows share one.
 */
export interface EntryPage {
  page: number;
  rows: EntryRow[];
  /** The hold ids among the rows (a multi-entry index: captures find their hold's tool). */
  holdIds: string[];
}

/** The sync cursor: the stored head and the checkpoint that verified it, in one row. */
export interface CursorRow {
  id: 'head';
  accountId: string;
  seq: number;
  hash: string;
  checkpoint: SignedCheckpoint | null;
  keys: PublicKeyInfo[];
  /** How far History's activities are built (absent before v4: none are). */
  activities?: ActivityState;
}

/** Up to 100 activities (docs/architecture.md §9), and the keys of those still open. */
export interface ActivityPage {
  page: number;
  items: Activity[];
  open: string[];
}

export interface SnapshotRow extends WalletSnapshot {
  id: 'wallet';
}

export interface PriceBookRow {
  id: 'current';
  signed: SignedPriceBook;
}

export interface CatalogRow {
  id: 'store';
  catalog: StoreCatalog;
}

export interface DesignRow extends Design {
  /** base64 file of an owned design, kept so it is available offline. */
  file?: { mime: string; base64: string };
}

export interface GalleryRow {
  itemId: string;
  jobId: string;
  tool: JobView['tool'];
  sha256: string;
  width: number;
  height: number;
  mime: string;
  refundCredits: number;
  disliked: boolean;
  createdAt: string;
  params: Record<string, unknown>;
  /** A team run's image: the team's (shown only while that team's wallet is chosen). */
  teamId?: string;
}

/** Actions made offline that wait for the server (e.g. a design redeemed with a voucher). */
export interface OutboxRow {
  id?: number;
  kind: 'redeem';
  designId: string;
  credits: number;
  at: string;
  voucherCounter: number | null;
  /** The team whose allowance paid (absent: the personal allowance). Not indexed. */
  teamId?: string;
}

/** The first shipped schema (one record per entry). Shipped schemas never change. */
export const SCHEMA_V1: Readonly<Record<string, string>> = {
  entries: 'seq, holdId',
  cursor: 'id',
  snapshots: 'id',
  priceBooks: 'id',
  catalog: 'id',
  designs: 'designId',
  gallery: 'itemId, createdAt',
  outbox: '++id',
};

export class EaselDb extends Dexie {
  pages!: Table<EntryPage, number>;
  activities!: Table<ActivityPage, number>;
  runs!: Table<JobView, string>;
  cursor!: Table<CursorRow, string>;
  snapshots!: Table<SnapshotRow, string>;
  priceBooks!: Table<PriceBookRow, string>;
  catalog!: Table<CatalogRow, string>;
  designs!: Table<DesignRow, string>;
  gallery!: Table<GalleryRow, string>;
  outbox!: Table<OutboxRow, number>;
  /** One signed checkpoint per stored batch, by its seq (docs/architecture.md §3). */
  checkpoints!: Table<SignedCheckpoint, number>;

  constructor(name = 'easel') {
    super(name);
    // Versioned schema: add a version(n + 1) with an upgrade when a table or index changes.
    this.version(1).stores(SCHEMA_V1);
    // v2: entries move into pages of 100 rows (one record per row cost ~70 µs in Chromium).
    this.version(2)
      .stores({ pages: 'page, *holdIds' })
      .upgrade(async (tx) => {
        // Rows are re-derived from the bodies (the signed source): v1 left captures and
        // releases without their hold's credit kind.
        const old = await tx.table<EntryRow, number>('entries').orderBy('seq').toArray();
        const rows = toRows(old, new Map());
        await tx.table<EntryPage, number>('pages').bulkPut(paginate(rows));
      });
    // v3: the per-row table is gone (Dexie can only drop it a version after the upgrade read it).
    this.version(3).stores({ entries: null });
    // v4: History's activities, built when entries are stored; a checkpoint per stored batch; and
    // the runs list, kept so it shows offline and after a reload (per-account databases start here).
    this.version(4).stores({
      activities: 'page, *open',
      checkpoints: 'checkpoint.seq',
      runs: 'jobId, createdAt',
    });
  }
}

export const openDb = (name?: string): EaselDb => new EaselDb(name);
