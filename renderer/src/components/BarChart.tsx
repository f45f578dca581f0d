import { creditsText } from '../util/format';

export interface BarSeries {
  key: string;
  label: string;
  /** A class name from app.css (colours live in the stylesheet, not in attributes). */
  tone: string;
}

/** A small stacked bar chart in SVG: one bar per day. */
export function BarChart(props: {
  title: string;
  days: string[];
  series: BarSeries[];
  values: Map<string, Map<string, number>>;
}) {
  const { days, series, values } = props;
  const W = 600;
  const H = 160;
  const pad = 20;
  const totals = days.map((d) => series.reduce((t, s) => t + (values.get(d)?.get(s.key) ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bw = (W - pad * 2) / Math.max(1, days.length);
  const sum = totals.reduce((a, b) => a + b, 0);
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H + 20}`}
        role="img"
        aria-label={`${props.title}: ${creditsText(sum)} in total`}
      >
        <line x1={pad} x2={W - pad} y1={H} y2={H} className="axis" />
        {days.map((d, i) => {
          let y = H;
          return (
            <g key={d}>
              {series.map((s) => {
                const v = values.get(d)?.get(s.key) ?? 0;
                if (v === 0) return null;
                const h = (v / max) * (H - pad);
                y -= h;
                return (
                  <rect
                    key={s.key}
                    x={pad + i * bw + 1}
                    y={y}
                    width={Math.max(1, bw - 2)}
                    height={h}
                    className={s.tone}
                  >
                    <title>{`${d} ${s.label}: ${v}`}</title>
                  </rect>
                );
              })}
              {i % 7 === 0 && (
                <text x={pad + i * bw} y={H + 14} className="tick">
                  {d.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span>{props.title}</span>
        <ul className="legend">
          {series.map((s) => (
            <li key={s.key}>
              <span className={`swatch ${s.tone}`} aria-hidden="true" />
              {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
