import { useCallback, useEffect, useMemo, useState } from 'react';
import { useCatalog, useJobs, useLedger, useStores } from '../app/context';
import { ActivityRowView } from '../components/ActivityRowView';
import { HistoryFilters } from '../components/HistoryFilters';
import { activitiesCsv, entriesCsv } from '../components/history-csv';
import {
  ActivityCache,
  ActivitySearch,
  emptyFilter,
  entriesOf,
  historyStatus,
  imagesByRef,
  isFiltered,
  loadAllActivities,
} from '../components/history-data';
import { VirtualList } from '../components/VirtualList';
import { humanId, type Activity } from '../db/activities';
import { readRows } from '../db/entry-pages';
import '../styles/history.css';

const ROW = 56;
const EXPANDED = 16;

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * What the user did and got, newest first: activities built from the ledger when it was stored
 * (docs/architecture.md §9), from the local cache, so it works the same offline.
 */
export function History() {
  const { db } = useStores();
  const count = useLedger((s) => s.activities);
  const head = useLedger((s) => s.headSeq);
  const verifiedThrough = useLedger((s) => s.verifiedThrough);
  const outbox = useCatalog((s) => s.outbox);
  const designs = useCatalog((s) => s.designs);
  const gallery = useJobs((s) => s.gallery);
  const [filter, setFilter] = useState(emptyFilter);
  const [all, setAll] = useState<Activity[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const cache = useMemo(() => new ActivityCache(db, count), [db, count]);
  const filtered = isFiltered(filter);

  // Offline redemptions not yet in the ledger: shown first, as pending.
  const waiting = useMemo<Activity[]>(
    () =>
      [...outbox].reverse().map((o) => {
        const title = designs.find((d) => d.designId === o.designId)?.title ?? humanId(o.designId);
        return {
          n: -1,
          key: `outbox:${o.id ?? o.designId}`,
          kind: 'design',
          title,
          detail: 'Redeemed offline · settles when you are back online',
          credits: -o.credits,
          creditKind: 'image',
          balanceAfter: Number.NaN,
          at: o.at,
          status: 'pending',
          seqs: [],
          ref: o.designId,
          search: `${title} design pending ${o.designId}`.toLowerCase(),
        };
      }),
    [outbox, designs],
  );

  // Search and filters run over every activity, loaded in the background after the first paint.
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      void loadAllActivities(db, count).then((list) => live && setAll(list));
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [db, count]);

  // Built once per load (not per keystroke): one array of search texts (docs/architecture.md §9).
  const search = useMemo(
    () => (all ? new ActivitySearch([...waiting, ...all]) : null),
    [all, waiting],
  );
  const rows = useMemo(
    () => (filtered && search ? search.filter(filter) : null),
    [search, filter, filtered],
  );
  const total = filtered ? (rows?.length ?? 0) : waiting.length + count;
  const rowAt = (i: number): Activity | undefined =>
    rows ? rows[i] : i < waiting.length ? waiting[i] : cache.row(i - waiting.length);
  const onRange = useCallback(
    (start: number, end: number) => {
      if (filtered) return;
      const w = waiting.length;
      void cache
        .ensure(Math.max(0, start - w), Math.max(0, end - w))
        .then((changed) => changed && setTick((t) => t + 1));
    },
    [cache, filtered, waiting.length],
  );
  const imageOf = useMemo(() => imagesByRef(gallery), [gallery]);
  const loadEntries = useCallback((a: Activity) => entriesOf(db, a), [db]);

  let expanded: { index: number; extra: number } | null = null;
  if (open) {
    for (let i = 0; i < total && i < 5000; i++) {
      const a = rowAt(i);
      if (a?.key === open) {
        expanded = { index: i, extra: EXPANDED + 28 * Math.max(1, a.seqs.length) };
        break;
      }
    }
  }

  const exportActivities = async (): Promise<void> => {
    const list = rows ?? [...waiting, ...(all ?? (await loadAllActivities(db, count)))];
    download('easel-activities.csv', activitiesCsv(list));
  };
  const exportEntries = async (): Promise<void> => {
    download('easel-ledger-entries.csv', entriesCsv(await readRows(db, 1, head), verifiedThrough));
  };

  const status = historyStatus({ filter, rows, total });

  return (
    <div className="screen history">
      <div className="screen-head">
        <h1>History</h1>
        <div className="row">
          <button type="button" className="secondary" onClick={() => void exportActivities()}>
            Export activities (CSV)
          </button>
          <button type="button" className="secondary" onClick={() => void exportEntries()}>
            Export audit log (CSV)
          </button>
        </div>
      </div>
      <HistoryFilters value={filter} onChange={setFilter} />
      <p className="muted" data-testid="history-count" data-search={all ? 'ready' : 'loading'}>
        {status}
        {' · '}
        {/* Records are the wallet's signed entries (docs/architecture.md §2), in creators' words. */}
        {head.toLocaleString('en-US')} {head === 1 ? 'record' : 'records'},{' '}
        {verifiedThrough >= head
          ? 'all verified'
          : `${verifiedThrough.toLocaleString('en-US')} verified`}
      </p>
      <VirtualList
        count={total}
        rowHeight={ROW}
        label="Activities"
        onRange={onRange}
        expanded={expanded}
        header={
          <div className="vhead" role="row" aria-rowindex={1}>
            {['', 'Activity', 'Credits', 'Balance after', 'When', 'Status'].map((h, i) => (
              <div key={i} role="columnheader" className="cell">
                {h || <span className="visually-hidden">Picture</span>}
              </div>
            ))}
          </div>
        }
        renderRow={(i) => {
          const a = rowAt(i);
          return (
            <ActivityRowView
              activity={a}
              sha256={a && a.ref ? (imageOf.get(a.ref) ?? null) : null}
              expanded={a !== undefined && a.key === open}
              onToggle={() => setOpen(a && a.key !== open ? a.key : null)}
              loadEntries={loadEntries}
              verifiedThrough={verifiedThrough}
            />
          );
        }}
      />
    </div>
  );
}
