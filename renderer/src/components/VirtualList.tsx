import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * Fixed-row-height windowing: only the rows in view (plus a little overscan) exist in the DOM,
 * so 100,000 rows scroll like 30.
 */
export function VirtualList(props: {
  count: number;
  rowHeight: number;
  label: string;
  renderRow: (index: number) => ReactNode;
  onRange?: (start: number, end: number) => void;
  header?: ReactNode;
  /** One row shown taller by `extra` px (an expanded row); the rows below move down. */
  expanded?: { index: number; extra: number } | null;
}) {
  const { count, rowHeight, onRange } = props;
  const open = props.expanded && props.expanded.index < count ? props.expanded : null;
  const extra = open?.extra ?? 0;
  const topOf = (i: number): number => i * rowHeight + (open && i > open.index ? extra : 0);
  const ref = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight || 600);
    const ro =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(() => setHeight(el.clientHeight || 600));
    ro?.observe(el);
    return () => ro?.disconnect();
  }, []);
  const overscan = 8;
  const shift = open && top > (open.index + 1) * rowHeight ? extra : 0;
  const start = Math.max(0, Math.floor((top - shift) / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  useEffect(() => onRange?.(start, end), [onRange, start, end]);
  const rows: ReactNode[] = [];
  for (let i = start; i < end; i++) {
    rows.push(
      <div
        key={i}
        className="vrow"
        role="row"
        aria-rowindex={i + 2}
        style={{
          transform: `translateY(${topOf(i)}px)`,
          height: rowHeight + (open?.index === i ? extra : 0),
        }}
      >
        {props.renderRow(i)}
      </div>,
    );
  }
  return (
    <div className="vtable" role="table" aria-label={props.label} aria-rowcount={count + 1}>
      {props.header}
      <div
        ref={ref}
        className="vscroll"
        tabIndex={0}
        role="rowgroup"
        aria-label={`${props.label}, scrollable`}
        onScroll={(e) => setTop(e.currentTarget.scrollTop)}
        data-testid="history-scroll"
      >
        <div className="vspacer" style={{ height: count * rowHeight + extra }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
