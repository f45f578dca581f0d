import { useMemo, useState } from 'react';
import { useCatalog, useJobs, useStores } from '../app/context';
import { generateSizes, tryQuote } from '../util/quote';
import { InputPicker } from './InputPicker';
import { RunButton } from './RunButton';

const STYLES = ['none', 'photo', 'illustration', 'watercolor', 'anime', 'isometric'];

/** Text-to-image and image-to-image, priced live as parameters change. */
export function GenerateTool(props: { onTopUp: () => void }) {
  const { jobs } = useStores();
  const signed = useCatalog((s) => s.priceBook);
  const submitting = useJobs((s) => s.submitting);
  const input = useJobs((s) => s.input);
  const book = signed?.book ?? null;
  const g = book?.tools.generate;
  const models = Object.entries(g?.models ?? {});
  const sizes = generateSizes(book);
  const [mode, setMode] = useState<'text-to-image' | 'image-to-image'>('text-to-image');
  const [prompt, setPrompt] = useState('');
  const [negative, setNegative] = useState('');
  const [style, setStyle] = useState('none');
  const [model, setModel] = useState('easel-preview');
  const [size, setSize] = useState('512x512');
  const [steps, setSteps] = useState(20);
  const [seed, setSeed] = useState('');
  const [count, setCount] = useState(1);
  const [width, height] = size.split('x').map(Number) as [number, number];
  const chosenModel = g?.models[model] ? model : (models[0]?.[0] ?? model);

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
  const disabledReason =
    prompt.trim() === ''
      ? 'Write a prompt to start.'
      : mode === 'image-to-image' && !input
        ? 'Choose an input image.'
        : null;

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
    void jobs.getState().submit('generate', params, quote);
  };

  return (
    <form className="tool-form" onSubmit={(e) => e.preventDefault()} aria-label="Generate">
      <fieldset className="segmented">
        <legend>Mode</legend>
        {(['text-to-image', 'image-to-image'] as const).map((m) => (
          <label key={m}>
            <input type="radio" name="mode" checked={mode === m} onChange={() => setMode(m)} />
            {m === 'text-to-image' ? 'Text to image' : 'Image to image'}
          </label>
        ))}
      </fieldset>
      {mode === 'image-to-image' && <InputPicker />}
      <label className="field wide">
        Prompt
        <textarea value={prompt} rows={3} onChange={(e) => setPrompt(e.target.value)} />
      </label>
      <label className="field wide">
        Negative prompt
        <input value={negative} onChange={(e) => setNegative(e.target.value)} />
      </label>
      <div className="grid-fields">
        <label className="field">
          Style
          <select value={style} onChange={(e) => setStyle(e.target.value)}>
            {STYLES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Model
          <select value={chosenModel} onChange={(e) => setModel(e.target.value)}>
            {models.map(([id, m]) => (
              <option key={id} value={id}>
                {id === 'easel-preview' ? 'Easel Preview — offline, not AI' : m.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Size
          <select value={size} onChange={(e) => setSize(e.target.value)}>
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
            max={g?.maxSteps ?? 150}
            value={steps}
            onChange={(e) => setSteps(Math.max(1, Number(e.target.value) || 1))}
          />
        </label>
        <label className="field">
          Seed
          <input
            inputMode="numeric"
            placeholder="random"
            value={seed}
            onChange={(e) => setSeed(e.target.value.replace(/\D/g, ''))}
          />
        </label>
      </div>
      <fieldset className="segmented">
        <legend>Images</legend>
        {(g?.counts ?? [1, 2, 4]).map((n) => (
          <label key={n}>
            <input
              type="radio"
              name="count"
              checked={count === n}
              onChange={() => setCount(n)}
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
