import type { UpscaleTierCapability } from '../../../shared/api/jobs';
import { type PriceBook, type UpscaleTier, UpscaleTiers } from '../../../shared/pricing/book';

/** The upscale tiers the price book offers, in order; a book without tiers offers only 'fast'. */
export function offeredUpscaleTiers(book: PriceBook | null): UpscaleTier[] {
  const tiers = book?.tools.upscale?.tiers;
  return tiers ? UpscaleTiers.filter((t) => tiers[t] !== undefined) : ['fast'];
}

const hints: Record<UpscaleTier, string> = {
  fast: 'quick, a little sharper than a plain resize',
  best: 'slower, clearly sharper detail',
};

/** Upscale quality: Fast or Best, as the price book labels them. Hidden when there is no choice. */
export function UpscaleTierControl(props: {
  book: PriceBook | null;
  tier: UpscaleTier;
  /** What the server says of each tier (/v1/tools); one it cannot run is shown disabled. */
  capabilities?: UpscaleTierCapability[] | null;
  onChange: (tier: UpscaleTier) => void;
}) {
  const offered = offeredUpscaleTiers(props.book);
  if (offered.length < 2) return null;
  return (
    <fieldset className="segmented">
      <legend>Quality</legend>
      {offered.map((t) => {
        const cap = props.capabilities?.find((c) => c.id === t);
        const off = cap?.available === false;
        return (
          <label key={t} title={off ? (cap.reason ?? hints[t]) : hints[t]}>
            <input
              type="radio"
              name="upscale-tier"
              checked={props.tier === t}
              disabled={off}
              onChange={() => props.onChange(t)}
            />
            {props.book?.tools.upscale?.tiers?.[t]?.label ?? t}
            {off && <span className="muted"> (not available here)</span>}
          </label>
        );
      })}
    </fieldset>
  );
}
