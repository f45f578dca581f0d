import { useMemo } from 'react';
import { useCatalog, useJobs, useStores, useStudio } from '../app/context';
import { blockedReason } from '../studio/availability';
import { creditsText } from '../util/format';
import { generateSizes, stepRungs, tryQuote } from '../util/quote';
import { InputPicker } from './InputPicker';
import { RunButton } from './RunButton';

const STYLES = ['none', 'photo', 'illustration', 'watercolor', 'anime', 'isometric'];

/** Text-to-image and image-to-image, priced live as parameters change. */
export function GenerateTool(props: { onTopUp: () => void }) {
  const { studio } = useStores();
  const signed = useCatalog((s) => s.priceBook);
  const submitting = useJobs((s) => s.submitting);
  const input = useJobs((s) => s.input);
  const form = useStudio((s) => s.generate);
  const tools = useStudio((s) => s.tools);
  const online = useStudio((s) => s.online);
  const patch = studio.getState().patchGenerate;
  const book = signed?.book ?? null;
  const g = book?.tools.generate;
  const models = Object.entries(g?.models ?? {});
  const sizes = generateSizes(book);
  const { mode, prompt, negative, style, model, seed, count } = form;
  // The published book decides the sizes and the step limit: a choice it no longer offers
  // falls back to one it does (docs/architecture.md §6).
  const offered = sizes.map(([w, h]) => `${w}x${h}`);
  const size = offered.includes(form.size) ? form.size : (offered[0] ?? form.size);
  const maxSteps = g?.maxSteps ?? 150;
  const steps = Math.min(form.steps, maxSteps);
  const [width, height] = size.split('x').map(Number) as [number, number];
  const rungs = stepRungs(book, width, height);
  const chosenModel = g?.models[model] ? model : (models[0]?.[0] ?? model);
  const capability = (id: string) => tools?.generate.models.find((m) => m.id === id) ?? null;

  const request = useMemo(
    () =>
      ({
        tool: 'generate',
        mode,
        width,
        height,
        steps,
        model: chosenModel,
        count,
      }) as const,
    [mode, width, height, steps, chosenModel, count],
  );
  const { quote, error } = tryQuote(book, request);
  const blocked = blockedReason({ tool: 'generate', mode, model: chosenModel }, tools, online);
  const disabledReason =
    blocked ??
    (prompt.trim() === ''
      ? 'Write a prompt to start.'
      : mode === 'image-to-image' && !input
        ? 'Choose an input image.'
        : null);

  const run = (): void => {
    if (!quote) return;
    // The server's GenerateJobParams (shared/api/jobs.ts): no `tool`, no 'none' style.
    const params: Record<string, unknown> = {
      mode,
      prompt: prompt.trim(),
      model: chosenModel,
      width,
      height,
      steps,
      count,
    };
    if (style !== 'none') params.style = style;
    if (negative.trim()) params.negativePrompt = negative;
    const seedNumber = Number.parseInt(seed, 10);
    // An unsigned 32-bit seed; a random one when the field is empty (or out of range).
    params.seed =
      Number.isFinite(seedNumber) && seedNumber <= 4_294_967_295
        ? seedNumber
        : Math.floor(Math.random() * 2 ** 32);
    if (mode === 'image-to-image' && input) params.inputUploadId = input.uploadId;
    void studio.getState().run('generate', params, quote);
  };

  const modeAvailability = (m: 'text-to-image' | 'image-to-image') =>
    m === 'text-to-image' ? tools?.generate.textToImage : tools?.generate.imageToImage;

  return (
    <form className="tool-form" onSubmit={(e) => e.preventDefault()} aria-label="Generate">
      <fieldset className="segmented">
        <legend>Mode</legend>
        {(['text-to-image', 'image-to-image'] as const).map((m) => (
          <label
            key={m}
            title={
              modeAvailability(m)?.available === false
                ? (modeAvailability(m)?.reason ?? '')
                : undefined
            }
          >
            <input
              type="radio"
              name="mode"
              checked={mode === m}
              onChange={() => patch({ mode: m })}
            />
            {m === 'text-to-image' ? 'Text to image' : 'Image to image'}
          </label>
        ))}
      </fieldset>
      {mode === 'image-to-image' && <InputPicker />}
      {/* Labels beside (not around) the text fields: their names stay "Prompt" as text is typed. */}
      <div className="field wide">
        <label htmlFor="generate-prompt">Prompt</label>
        <textarea
          id="generate-prompt"
          value={prompt}
          rows={3}
          maxLength={tools?.generate.maxPromptLength}
          placeholder="Describe the picture: a calm harbour at dawn, soft light…"
          onChange={(e) => patch({ prompt: e.target.value })}
        />
      </div>
      <div className="field wide">
        <label htmlFor="generate-negative">Negative prompt</label>
        <input
          id="generate-negative"
          value={negative}
          placeholder="What to leave out (optional)"
          onChange={(e) => patch({ negative: e.target.value })}
        />
      </div>
      <div className="grid-fields">
        <label className="field">
          Style
          <select value={style} onChange={(e) => patch({ style: e.target.value })}>
            {STYLES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Model
          <select
            value={chosenModel}
            onChange={(e) => patch({ model: e.target.value })}
            data-testid="model-select"
          >
            {models.map(([id, m]) => {
              const cap = capability(id);
              const name = id === 'easel-preview' ? 'Easel Preview — offline, not AI' : m.label;
              return (
                <option key={id} value={id} disabled={cap?.available === false}>
                  {cap?.available === false ? `${name} (not available here)` : name}
                </option>
              );
            })}
          </select>
        </label>
        <label className="field">
          Size
          <select value={size} onChange={(e) => patch({ size: e.target.value })}>
            {sizes.map(([w, h]) => (
              <option key={`${w}x${h}`} value={`${w}x${h}`}>
                {w} × {h}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Steps
          <input
            type="number"
            min={1}
            max={maxSteps}
            value={steps}
            aria-describedby={rungs ? 'steps-prices' : undefined}
            onChange={(e) =>
              patch({ steps: Math.min(maxSteps, Math.max(1, Number(e.target.value) || 1)) })
            }
          />
        </label>
        <label className="field">
          Seed
          <input
            inputMode="numeric"
            placeholder="random"
            value={seed}
            onChange={(e) => patch({ seed: e.target.value.replace(/\D/g, '') })}
          />
        </label>
      </div>
      {rungs && (
        <p className="hint" id="steps-prices" data-testid="steps-prices">
          Per image at {width} × {height}:{' '}
          {rungs
            .map((r, i) => `${i === 0 ? creditsText(r.credits) : r.credits} up to ${r.to} steps`)
            .join(' · ')}
        </p>
      )}
      {tools && models.some(([id]) => capability(id)?.available === false) && (
        <details className="unavailable" data-testid="unavailable-models">
          <summary>Why some models are not offered</summary>
          <ul>
            {models
              .filter(([id]) => capability(id)?.available === false)
              .map(([id, m]) => (
                <li key={id}>
                  <strong>{m.label}</strong>: {capability(id)?.reason ?? 'not available here.'}
                </li>
              ))}
          </ul>
        </details>
      )}
      <fieldset className="segmented">
        <legend>Images</legend>
        {(g?.counts ?? [1, 2, 4]).map((n) => (
          <label key={n}>
            <input
              type="radio"
              name="count"
              checked={count === n}
              onChange={() => patch({ count: n })}
              data-testid={`count-${n}`}
            />
            {n}
          </label>
        ))}
      </fieldset>
      <RunButton
        label={count === 1 ? 'Generate 1 image' : `Generate ${count} images`}
        quote={quote}
        error={error}
        busy={submitting}
        disabledReason={disabledReason}
        onRun={run}
        onTopUp={props.onTopUp}
      />
    </form>
  );
}
