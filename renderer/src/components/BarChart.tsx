import { credits, creditsText } from '../util/format';

export interface BarSeries {
  key: string;
  label: string;
  /** A class name from app.css (colours live in the stylesheet, not in attributes). */
  tone: string;
}

/** A rounded-up axis maximum: 1, 2, 5, 10, 20, 50… times a power of ten. */
function niceMax(v: number): number {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * A small stacked bar chart in SVG: one bar per day, credits on a labelled vertical axis, every
 * day labelled with its day of the month (the month under the first day and each 1st), and a
 * sentence instead of bars when there is nothing to show.
 */
export function BarChart(props: {
  title: string;
  days: string[];
  series: BarSeries[];
  values: Map<string, Map<string, number>>;
  empty: string;
}) {
  const { days, series, values } = props;
  const W = 640;
  const H = 170;
  const left = 44;
  const right = 8;
  const top = 10;
  const totals = days.map((d) => series.reduce((t, s) => t + (values.get(d)?.get(s.key) ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const bw = (W - left - right) / Math.max(1, days.length);
  const sum = totals.reduce((a, b) => a + b, 0);
  const y = (v: number): number => H - (v / max) * (H - top);
  const month = (d: string): string =>
    new Date(`${d}T12:00:00`).toLocaleString('en-US', { month: 'short' });
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H + 34}`}
        role="img"
        aria-label={`${props.title}: ${sum === 0 ? props.empty : `${creditsText(sum)} in total`}`}
      >
        {[0, max / 2, max].map((v) => (
          <g key={v}>
            <line
              x1={left}
              x2={W - right}
              y1={y(v)}
              y2={y(v)}
              className={v === 0 ? 'axis' : 'grid'}
            />
            <text x={left - 6} y={y(v) + 4} className="tick tick-y">
              {credits(Math.round(v))}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          let at = H;
          const x = left + i * bw;
          return (
            <g key={d}>
              {series.map((s) => {
                const v = values.get(d)?.get(s.key) ?? 0;
                if (v === 0) return null;
                const h = (v / max) * (H - top);
                at -= h;
                return (
                  <rect
                    key={s.key}
                    x={x + 1}
                    y={at}
                    width={Math.max(1, bw - 2)}
                    height={h}
                    className={s.tone}
                  >
                    <title>{`${d} ${s.label}: ${creditsText(v)}`}</title>
                  </rect>
                );
              })}
              <text x={x + bw / 2} y={H + 13} className="tick tick-x">
                {Number(d.slice(8))}
              </text>
              {(i === 0 || d.endsWith('-01')) && (
                <text x={x + bw / 2} y={H + 28} className="tick tick-x">
                  {month(d)}
                </text>
              )}
            </g>
          );
        })}
        {sum === 0 && (
          <text x={(left + W) / 2} y={H / 2} className="chart-empty">
            {props.empty}
          </text>
        )}
      </svg>
      <figcaption>
        <span>{props.title}</span>
        {series.length > 1 && (
          <ul className="legend">
            {series.map((s) => (
              <li key={s.key}>
                <span className={`swatch ${s.tone}`} aria-hidden="true" />
                {s.label}
              </li>
            ))}
          </ul>
        )}
      </figcaption>
    </figure>
  );
}
