import { useId } from 'react';
import { useJobs, useStores } from '../app/context';

/** Chooses the input image of a tool: a file, or an image reused from the gallery. */
export function InputPicker() {
  const { jobs } = useStores();
  const input = useJobs((s) => s.input);
  const id = useId();
  return (
    <div className="input-picker">
      <label htmlFor={id}>Input image</label>
      <input
        id={id}
        type="file"
        accept="image/png,image/jpeg,image/webp"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) void jobs.getState().upload(file);
        }}
      />
      <span className="hint" data-testid="input-info">
        {input
          ? `Using a ${input.width} × ${input.height} image`
          : 'No image chosen (or reuse one from the Gallery)'}
      </span>
    </div>
  );
}
