import { FilterPresets } from '../../../shared/pricing/book';
import type { QuoteRequest } from '../../../shared/pricing/request';
import { useCatalog, useJobs, useStores, useStudio } from '../app/context';
import { blockedReason } from '../studio/availability';
import { tryQuote } from '../util/quote';
import { InputPicker } from './InputPicker';
import { RunButton } from './RunButton';
import { UpscaleTierControl, offeredUpscaleTiers } from './UpscaleTierControl';

type ImageToolName = 'filter' | 'upscale' | 'cutout' | 'face-enhance';

/** Filter, Upscale, Cutout and Faces: one input image, priced by its size. */
export function ImageTool(props: { tool: ImageToolName; onTopUp: () => void }) {
  const { studio } = useStores();
  const book = useCatalog((s) => s.priceBook)?.book ?? null;
  const input = useJobs((s) => s.input);
  const submitting = useJobs((s) => s.submitting);
  const form = useStudio((s) => s.image);
  const tools = useStudio((s) => s.tools);
  const online = useStudio((s) => s.online);
  const patch = studio.getState().patchImage;
  const { preset, factor } = form;
  // A tier the current price book no longer offers falls back to the first one it does.
  const offeredTiers = offeredUpscaleTiers(book);
  const tier = offeredTiers.includes(form.tier) ? form.tier : (offeredTiers[0] ?? 'fast');
  const width = input?.width ?? 0;
  const height = input?.height ?? 0;
  let request: QuoteRequest | null = null;
  if (input) {
    if (props.tool === 'filter') request = { tool: 'filter', preset, width, height };
    else if (props.tool === 'upscale') request = { tool: 'upscale', factor, width, height, tier };
    else if (props.tool === 'cutout') request = { tool: 'cutout', width, height };
    else request = { tool: 'face-enhance', width, height };
  }
  const { quote, error } = tryQuote(book, request);
  const labels: Record<ImageToolName, string> = {
    filter: 'Apply filter',
    upscale: `Upscale ×${factor}`,
    cutout: 'Remove background',
    'face-enhance': 'Restore faces',
  };
  const blocked = blockedReason(
    props.tool === 'upscale' ? { tool: 'upscale', tier } : { tool: props.tool },
    tools,
    online,
  );
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
    void studio.getState().run(props.tool, params, quote);
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
          <select
            value={preset}
            onChange={(e) => patch({ preset: e.target.value as (typeof FilterPresets)[number] })}
          >
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
                onChange={() => patch({ factor: f })}
              />
              ×{f}
            </label>
          ))}
        </fieldset>
      )}
      {props.tool === 'upscale' && (
        <UpscaleTierControl
          book={book}
          tier={tier}
          capabilities={tools?.upscale.tiers ?? null}
          onChange={(t) => patch({ tier: t })}
        />
      )}
      {props.tool === 'cutout' && (
        <p className="hint">You see the result first: Confirm is charged, Discard is free.</p>
      )}
      {props.tool === 'face-enhance' && (
        <p className="hint">
          Restores faces with GFPGAN or CodeFormer on the connected image engine; the rest of the
          picture stays as it is.
        </p>
      )}
      <RunButton
        label={labels[props.tool]}
        quote={quote}
        error={error}
        busy={submitting}
        disabledReason={blocked ?? (input ? null : 'Choose an input image.')}
        waiting={
          input ? null : 'The price shows once an input image is chosen; it depends on its size.'
        }
        onRun={run}
        onTopUp={props.onTopUp}
      />
    </form>
  );
}
