import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLedger, useStores } from '../app/context';
import { HistoryFilters } from '../components/HistoryFilters';
import { HistoryRowView } from '../components/HistoryRowView';
import { VirtualList } from '../components/VirtualList';
import {
  applyFilter,
  emptyFilter,
  isFiltered,
  loadAll,
  PageCache,
  toCsv,
  type HistoryRow,
} from '../components/history-data';

const ROW = 44;

/** Every ledger entry, newest first, from the local cache: works fully offline. */
export function History() {
  const { db } = useStores();
  const head = useLedger((s) => s.headSeq);
  const verifiedThrough = useLedger((s) => s.verifiedThrough);
  const balances = useLedger((s) => s.wallet?.balances);
  const kinds = useMemo(() => Object.keys(balances ?? {}), [balances]);
  const [filter, setFilter] = useState(emptyFilter);
  const [all, setAll] = useState<HistoryRow[] | null>(null);
  const [, setTick] = useState(0);
  const cache = useMemo(() => new PageCache(db, head), [db, head]);
  const filtered = isFiltered(filter);

  // Filtering and export need every row; the plain list pages straight from IndexedDB.
  useEffect(() => {
    if (!filtered) return;
    let live = true;
    void loadAll(db, head).then((rows) => live && setAll(rows));
    return () => {
      live = false;
    };
  }, [db, head, filtered]);

  const rows = useMemo(
    () => (filtered && all ? applyFilter(all, filter) : null),
    [all, filter, filtered],
  );
  const count = filtered ? (rows?.length ?? 0) : head;
  const onRange = useCallback(
    (start: number, end: number) => {
      if (filtered) return;
      void cache.ensure(start, end).then((changed) => changed && setTick((t) => t + 1));
    },
    [cache, filtered],
  );

  const exportCsv = async (): Promise<void> => {
    const list = rows ?? (await loadAll(db, head));
    const url = URL.createObjectURL(new Blob([toCsv(list, verifiedThrough)], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'easel-history.csv';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <div className="screen history">
      <div className="screen-head">
        <h1>History</h1>
        <button type="button" className="secondary" onClick={() => void exportCsv()}>
          Export CSV
        </button>
      </div>
      <HistoryFilters value={filter} kinds={kinds} onChange={setFilter} />
      <p className="muted" data-testid="history-count">
        {filtered && !rows ? 'Searching…' : `${count.toLocaleString('en-US')} entries`} · verified
        through #{verifiedThrough}
      </p>
      <VirtualList
        count={count}
        rowHeight={ROW}
        label="Ledger entries"
        onRange={onRange}
        header={
          <div className="vhead" role="row" aria-rowindex={1}>
            {['Entry', 'When', 'What', 'Credits', 'Check'].map((h) => (
              <div key={h} role="columnheader" className="cell">
                {h}
              </div>
            ))}
          </div>
        }
        renderRow={(i) => {
          const row = rows ? rows[i] : cache.row(i);
          return (
            <HistoryRowView row={row} verified={row !== undefined && row.seq <= verifiedThrough} />
          );
        }}
      />
    </div>
  );
}
