import { useId, useRef } from 'react';
import { useCatalog, useJobs, useStores, useStudio } from '../app/context';
import { limitsSentence, uploadLimits } from '../studio/upload-limits';

/**
 * The input image of a tool: what it is (a preview and its size), where it can come from (the
 * picker, a drop anywhere in the Studio, Ctrl/Cmd+V, or "Use as input" on a result), the limits
 * before any upload, and why a file was refused, right here.
 */
export function InputPicker() {
  const { studio } = useStores();
  const input = useJobs((s) => s.input);
  const preview = useStudio((s) => s.inputPreview);
  const name = useStudio((s) => s.inputName);
  const error = useStudio((s) => s.inputError);
  const busy = useStudio((s) => s.inputBusy);
  const tools = useStudio((s) => s.tools);
  const maxPixels = useCatalog((s) => s.priceBook?.book.maxPixels ?? null);
  const limits = uploadLimits(tools, maxPixels);
  const id = useId();
  const file = useRef<HTMLInputElement>(null);
  const errorId = `${id}-error`;
  const infoId = `${id}-info`;
  const accept = limits.formats.map((f) => `image/${f}`).join(',');
  return (
    <div className={error ? 'input-picker has-error' : 'input-picker'}>
      <span className="field-label" id={`${id}-label`}>
        Input image
      </span>
      <div className="input-row">
        {input && preview ? (
          <img src={preview} alt="The input image" className="input-thumb" />
        ) : (
          <div className="input-thumb empty" aria-hidden="true">
            {busy ? '…' : '+'}
          </div>
        )}
        <div className="input-text">
          <p className="input-info" data-testid="input-info" id={infoId}>
            {busy
              ? 'Checking and uploading the image…'
              : input
                ? `Using a ${input.width} × ${input.height} image${name ? ` (${name})` : ''}.`
                : 'No image yet. Drop one anywhere in the Studio, paste it with Ctrl+V, or choose a file.'}
          </p>
          <p className="hint">{limitsSentence(limits)}</p>
          <div className="input-actions">
            <input
              ref={file}
              id={id}
              className="visually-hidden file-input"
              type="file"
              accept={accept}
              aria-label="Input image"
              aria-describedby={error ? errorId : infoId}
              aria-invalid={error ? true : undefined}
              onChange={(e) => {
                const chosen = e.target.files?.[0];
                // A clean field either way: a refused file leaves no name behind.
                e.target.value = '';
                if (chosen) void studio.getState().useFile(chosen, chosen.name);
              }}
            />
            <label htmlFor={id} className="button secondary file-button">
              {input ? 'Choose another image…' : 'Choose an image…'}
            </label>
            {input && (
              <button type="button" className="link" onClick={() => studio.getState().clearInput()}>
                Remove
              </button>
            )}
          </div>
        </div>
      </div>
      {error && (
        <p className="input-error" role="alert" id={errorId} data-testid="input-error">
          {error}
        </p>
      )}
    </div>
  );
}
