import { useId, useRef, useState } from 'react';

/**
 * Before and after on top of each other: the slider (or a drag on the picture) moves the line;
 * left of it is the input, right of it the result. Transparent results (cutout) sit on a
 * checkerboard, so the input never shows through them.
 */
export function CompareSlider(props: {
  before: string;
  after: string;
  afterAlt: string;
  /** The result's aspect ratio (width / height): both pictures fit the same box. */
  aspect: number;
}) {
  const [at, setAt] = useState(50);
  const stage = useRef<HTMLDivElement>(null);
  const id = useId();
  const moveTo = (clientX: number): void => {
    const box = stage.current?.getBoundingClientRect();
    if (!box || box.width === 0) return;
    setAt(Math.round(Math.min(100, Math.max(0, ((clientX - box.left) / box.width) * 100))));
  };
  return (
    <figure className="compare" data-testid="compare">
      <div
        ref={stage}
        className="compare-stage"
        // As wide as fits both the panel and 62% of the window's height, keeping the ratio.
        style={{
          aspectRatio: String(props.aspect),
          width: `min(100%, calc(62vh * ${props.aspect.toFixed(4)}))`,
        }}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          moveTo(e.clientX);
        }}
        onPointerMove={(e) => {
          if (e.buttons & 1) moveTo(e.clientX);
        }}
      >
        <img src={props.before} alt="Before: the input image" className="compare-img" />
        <div
          className="compare-after"
          data-testid="compare-after"
          style={{ clipPath: `inset(0 0 0 ${at}%)` }}
        >
          <img src={props.after} alt={props.afterAlt} className="compare-img" />
        </div>
        <div className="compare-line" style={{ left: `${at}%` }} aria-hidden="true" />
        <span className="compare-tag left" aria-hidden="true">
          Before
        </span>
        <span className="compare-tag right" aria-hidden="true">
          After
        </span>
      </div>
      <label className="compare-control" htmlFor={id}>
        <span>Compare before and after</span>
        <input
          id={id}
          type="range"
          min={0}
          max={100}
          value={at}
          aria-valuetext={`${at}% before, ${100 - at}% after`}
          onChange={(e) => setAt(Number(e.target.value))}
        />
      </label>
    </figure>
  );
}
