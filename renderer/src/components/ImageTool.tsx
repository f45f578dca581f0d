import { useState } from 'react';
import { FilterPresets, type UpscaleTier } from '../../../shared/pricing/book';
import type { QuoteRequest } from '../../../shared/pricing/request';
import { useCatalog, useJobs, useStores } from '../app/context';
import { tryQuote } from '../util/quote';
import { InputPicker } from './InputPicker';
import { RunButton } from './RunButton';
import { UpscaleTierControl, offeredUpscaleTiers } from './UpscaleTierControl';

type ImageToolName = 'filter' | 'upscale' | 'cutout';
type Preset = (typeof FilterPresets)[number];

/** Filter, Upscale and Cutout: one input image, priced by its size. */
export function ImageTool(props: { tool: ImageToolName; onTopUp: () => void }) {
  const { jobs } = useStores();
  const book = useCatalog((s) => s.priceBook)?.book ?? null;
  const input = useJobs((s) => s.input);
  const submitting = useJobs((s) => s.submitting);
  const [preset, setPreset] = useState<Preset>('vivid');
  const [factor, setFactor] = useState<2 | 4 | 8>(2);
  const [chosenTier, setTier] = useState<UpscaleTier>('fast');
  // A tier the current price book no longer offers falls back to the first one it does.
  const offeredTiers = offeredUpscaleTiers(book);
  const tier = offeredTiers.includes(chosenTier) ? chosenTier : (offeredTiers[0] ?? 'fast');
  const width = input?.width ?? 0;
  const height = input?.height ?? 0;
  let request: QuoteRequest | null = null;
  if (input) {
    if (props.tool === 'filter') request = { tool: 'filter', preset, width, height };
    else if (props.tool === 'upscale') request = { tool: 'upscale', factor, width, height, tier };
    else request = { tool: 'cutout', width, height };
  }
  const { quote, error } = tryQuote(book, request);
  const labels: Record<ImageToolName, string> = {
    filter: 'Apply filter',
    upscale: `Upscale ×${factor}`,
    cutout: 'Remove background',
  };
  const run = (): void => {
    if (!quote || !request || !input) return;
    // The server's params (shared/api/jobs.ts): the upload, plus the preset or the factor and tier.
    const uploadId = input.uploadId;
    const params =
      props.tool === 'filter'
        ? { uploadId, preset }
        : props.tool === 'upscale'
          ? { uploadId, factor, tier }
          : { uploadId };
    void jobs.getState().submit(props.tool, params, quote);
  };
  return (
    <form
      className="tool-form"
      onSubmit={(e) => e.preventDefault()}
      aria-label={labels[props.tool]}
    >
      <InputPicker />
      {props.tool === 'filter' && (
        <label className="field">
          Preset
          <select value={preset} onChange={(e) => setPreset(e.target.value as Preset)}>
            {(book?.tools.filter?.presets ?? FilterPresets).map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      )}
      {props.tool === 'upscale' && (
        <fieldset className="segmented">
          <legend>Factor</legend>
          {([2, 4, 8] as const).map((f) => (
            <label key={f}>
              <input
                type="radio"
                name="factor"
                checked={factor === f}
                onChange={() => setFactor(f)}
              />
              ×{f}
            </label>
          ))}
        </fieldset>
      )}
      {props.tool === 'upscale' && (
        <UpscaleTierControl book={book} tier={tier} onChange={setTier} />
      )}
      {props.tool === 'cutout' && (
        <p className="hint">You see the result first: Confirm is charged, Discard is free.</p>
      )}
      <RunButton
        label={labels[props.tool]}
        quote={quote}
        error={error}
        busy={submitting}
        disabledReason={input ? null : 'Choose an input image.'}
        onRun={run}
        onTopUp={props.onTopUp}
      />
    </form>
  );
}
